from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from django.db.models.signals import post_delete

        from members.models import Profile
        from members.photos import photo_file_forget

        # A side job, not a rule: a deleted account (and its profile) leaves no photo on the disk.
        post_delete.connect(photo_file_forget, sender=Profile, dispatch_uid="members-profile-photo-forget")
