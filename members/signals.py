"""Changes made with a queryset update (no post_save), announced for whoever caches what they affect."""

from django.dispatch import Signal

# Sent with user_ids=[...] after notifications were marked read in bulk.
notifications_read = Signal()
# Sent after emails failed for good or were queued again (the admins' "failed" badge counts them).
outbox_failures_changed = Signal()
