from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_org_admin=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; signs in with their email address."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    business_name = models.CharField(_("business name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False, help_text=_("May sign in to the Django admin."))
    is_org_admin = models.BooleanField(
        _("organisation admin"), default=False,
        help_text=_("Organisation admin: oversees every chapter and reviews expulsion cases."),
    )
    notification_delivery = models.JSONField(
        _("how notices reach the person"), default=dict, blank=True,
        help_text=_("Kind of notice → app, email, digest or off; a kind not listed takes its default "
                    "(members/delivery.py)."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Pages, emails and notices are in this language once chosen (the profile, or the switcher in the
    # navigation); until then pages follow the browser and emails the site's default (leadsgroups/i18n.py).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text=_("The language of your pages and emails; empty follows your browser."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "email"]
        indexes = [
            # The admin's searches (exact address, name prefix; case-insensitive, so UPPER): their
            # statistics let PostgreSQL start from the few matching people, not from a million rows.
            models.Index(Upper("email"), name="members_user_email_upper"),
            models.Index(Upper("full_name"), name="members_user_name_upper"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]

    def delivery_for(self, kind: str) -> str:
        """How notices of this kind reach the person: app, email, digest or off (members/delivery.py)."""
        from members.delivery import delivery_for

        return delivery_for(self.notification_delivery, kind)

    def wants_email(self, kind: str) -> bool:
        """Whether a notice of this kind is emailed at once."""
        return self.delivery_for(kind) == "email"


class Profile(models.Model):
    """What a person shows of their business in the directories of their chapters, and to whom.

    Business name and phone stay on User (the account form has always kept them there). The rest
    lives here, in a row of its own, because the User row is read on every request and these (a
    paragraph of text, a photo, four choices) only on the directory and profile pages. Name, business
    and classification are always shown to the person's chapters; each contact field has its own choice.
    """

    class Visibility(models.TextChoices):
        CHAPTERS = "chapters", _("Visible to my chapters")
        HIDDEN = "hidden", _("Hidden")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    website = models.URLField(_("website"), max_length=200, blank=True)
    ideal_referral = models.TextField(
        _("ideal referral"), max_length=500, blank=True,
        help_text=_("A short description of the referral the person would like to get."),
    )
    photo = models.ImageField(
        _("photo"), upload_to="profile-photos/", blank=True, max_length=120,
        help_text=_("Resized to 400 px at most and re-encoded as JPEG on upload; served only to the person's chapters."),
    )
    # Phone and email were given for the account, not for the directory: hidden until the person
    # shares them. A website or photo is entered on the directory's own form, beside its choice.
    phone_visibility = models.CharField(
        _("who sees the phone number"), max_length=10, choices=Visibility.choices, default=Visibility.HIDDEN
    )
    email_visibility = models.CharField(
        _("who sees the email address"), max_length=10, choices=Visibility.choices, default=Visibility.HIDDEN
    )
    website_visibility = models.CharField(
        _("who sees the website"), max_length=10, choices=Visibility.choices, default=Visibility.CHAPTERS
    )
    photo_visibility = models.CharField(
        _("who sees the photo"), max_length=10, choices=Visibility.choices, default=Visibility.CHAPTERS
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("directory profile")
        verbose_name_plural = _("directory profiles")

    def __str__(self) -> str:
        return _("Directory profile of %(person)s") % {"person": self.user}

    def shows(self, field: str) -> bool:
        """Whether the person's chapters see `field` (phone, email, website or photo)."""
        return getattr(self, f"{field}_visibility") == self.Visibility.CHAPTERS


class Membership(models.Model):
    """A person's seat in one chapter."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        PRESIDENT = "president", _("President")
        VICE_PRESIDENT = "vice_president", _("Vice-president")
        SECRETARY_TREASURER = "secretary_treasurer", _("Secretary-treasurer")

    class Status(models.TextChoices):
        APPLICANT = "applicant", pgettext_lazy("membership status", "Applicant")
        ACTIVE = "active", pgettext_lazy("membership status", "Active")
        ON_LEAVE = "on_leave", pgettext_lazy("membership status", "On leave")
        PROBATION = "probation", pgettext_lazy("membership status", "Probation")
        EXPELLED = "expelled", pgettext_lazy("membership status", "Expelled")
        RESIGNED = "resigned", pgettext_lazy("membership status", "Resigned")

    LEADERSHIP_ROLES = (Role.PRESIDENT, Role.VICE_PRESIDENT, Role.SECRETARY_TREASURER)
    # Statuses that hold a seat (and a classification) and may use the chapter's pages.
    SEATED_STATUSES = (Status.ACTIVE, Status.ON_LEAVE, Status.PROBATION)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships"
    )
    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="memberships"
    )
    classification = models.ForeignKey(
        "chapters.Classification", verbose_name=_("classification"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="memberships",
    )
    business_name = models.CharField(_("business name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    renewal_due = models.DateField(_("renewal due"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    status_note = models.CharField(
        _("status note"), max_length=300, blank=True, help_text=_("Why the status last changed.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "chapter"], name="members_membership_one_per_chapter"),
            models.UniqueConstraint(
                fields=["chapter", "classification"],
                condition=Q(status__in=["active", "on_leave", "probation"]),
                name="members_membership_one_seat_per_classification",
                violation_error_message=_("Another member already holds this classification in the chapter."),
            ),
            models.UniqueConstraint(
                fields=["chapter"],
                condition=Q(role="president", status__in=["active", "on_leave", "probation"]),
                name="members_membership_one_president",
                violation_error_message=_("The chapter already has a president."),
            ),
        ]
        indexes = [models.Index(fields=["chapter", "status"], name="members_membership_ch_status")]

    def __str__(self) -> str:
        return _("%(person)s in %(chapter)s") % {"person": self.user, "chapter": self.chapter}

    @property
    def is_leadership(self) -> bool:
        return self.role in self.LEADERSHIP_ROLES and self.is_seated

    @property
    def is_seated(self) -> bool:
        return self.status in self.SEATED_STATUSES

    @property
    def display_name(self) -> str:
        return self.user.full_name or self.user.email


# A role inside a sentence ("invites you to join … as vice-president"): lower case in English, written
# as each language writes it there (German keeps the capital of its nouns).
ROLE_IN_SENTENCE = {
    Membership.Role.MEMBER: pgettext_lazy("role in a sentence", "member"),
    Membership.Role.PRESIDENT: pgettext_lazy("role in a sentence", "president"),
    Membership.Role.VICE_PRESIDENT: pgettext_lazy("role in a sentence", "vice-president"),
    Membership.Role.SECRETARY_TREASURER: pgettext_lazy("role in a sentence", "secretary-treasurer"),
}


class Invitation(models.Model):
    """An email address invited into a chapter; the link carries a token only its hash is kept of."""

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    classification = models.ForeignKey(
        "chapters.Classification", verbose_name=_("classification"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, on_delete=models.SET_NULL,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    membership = models.ForeignKey(
        Membership, verbose_name=_("membership"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="members_invitation_one_open_per_email",
                violation_error_message=_("This address already has an open invitation to the chapter."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.chapter}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def role_in_sentence(self) -> str:
        return str(ROLE_IN_SENTENCE.get(self.role, self.get_role_display()))


class Notification(models.Model):
    """Something the app tells a person: a row first, then (unless muted) an email."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitations")
        MEMBERSHIP = "membership", _("Membership changes")
        REFERRAL_RECEIVED = "referral_received", _("Referral received")
        REFERRAL_UPDATED = "referral_updated", _("Referral updates")
        CONSENT_ANSWERED = "consent_answered", _("Prospect consent answered")
        THANK_YOU = "thank_you", _("Thank-you for closed business")
        ONE_TO_ONE = "one_to_one", _("One-to-one to confirm")
        FINE = "fine", _("Fines")
        CASE = "case", _("Expulsion cases and decisions")
        REMINDER = "reminder", _("Meeting reminders")
        STALE_REFERRAL = "stale_referral", _("Stale referral reminders")
        READ_OUT = "read_out", _("Weekly read-out of a closed meeting (leadership)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="notifications"
    )
    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_wanted = models.BooleanField(_("email wanted"), default=True)
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    email_claimed_at = models.DateTimeField(
        _("email claimed"), null=True, blank=True,
        help_text=_("When a worker took this email; lets a crashed send be retried."),
    )
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=120, null=True, blank=True,
        help_text=_("Makes a notice unique per person (e.g. one reminder per meeting)."),
    )
    # What the notice says as data, worded in the reader's language when shown (members/notice_texts.py);
    # title and body above stay the snapshot written at creation (the email sent, and the fallback).
    message_key = models.CharField(
        _("message key"), max_length=60, blank=True, default="",
        help_text=_("Which text the notice shows, worded in the reader's language when it is displayed."),
    )
    params = models.JSONField(
        _("parameters"), default=dict, blank=True,
        help_text=_("The facts the text is worded from: ids, counts, ISO dates, amounts and currency."),
    )
    digest_wanted = models.BooleanField(
        _("for the digest"), default=False, help_text=_("Goes out in the person's daily digest email."),
    )
    digest_sent_at = models.DateTimeField(
        _("digest sent"), null=True, blank=True,
        help_text=_("When a daily digest took this notice (each notice goes in one digest at most)."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="members_notification_dedupe"),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="members_notif_user_read"),
            # The admin's list (newest first, -pk breaking ties) and the retention prune's range.
            models.Index(fields=["created_at", "id"], name="members_notif_created"),
            models.Index(fields=["kind", "created_at", "id"], name="members_notif_kind_created"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_wanted=True, email_sent_at__isnull=True),
                name="members_notif_email_pending",
            ),
            # The digest's question: who has notices waiting for it?
            models.Index(
                fields=["user", "created_at"],
                condition=Q(digest_wanted=True, digest_sent_at__isnull=True, read_at__isnull=True),
                name="members_notif_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OutboundEmail(models.Model):
    """One email to one address: a row first, written in the transaction of its cause, then sent by a task.

    Every email of the app goes through here (invitations, consent requests, account emails,
    notifications, reminders), so one claim, one retry policy and one failure list serve them all;
    the feature rows link here (invitation, consent request, notification) to show its state.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        CONSENT = "consent", _("Consent request")
        ACCOUNT = "account", _("Account (password, address)")
        NOTIFICATION = "notification", _("Notification")
        REMINDER = "reminder", _("Meeting reminder")
        DIGEST = "digest", _("Daily digest of notices")
        ALERT = "alert", _("Operations alert")  # to the ADMINS: a background task failed (ops/services.py)

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("email status", "Queued")
        SENDING = "sending", pgettext_lazy("email status", "Sending")
        SENT = "sent", pgettext_lazy("email status", "Sent")
        FAILED = "failed", pgettext_lazy("email status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("email status", "Cancelled")

    PENDING = (Status.QUEUED, Status.SENDING)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    to = models.EmailField(_("to"), max_length=254)
    from_email = models.CharField(
        _("from"), max_length=254, blank=True, help_text=_("Empty: the site's DEFAULT_FROM_EMAIL.")
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"), help_text=_("Plain text."))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    claimed_at = models.DateTimeField(
        _("claimed"), null=True, blank=True,
        help_text=_("When a worker took it; a claim older than the timeout is taken over."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # The cause, when it is a row of its own: its page shows whether the email went.
    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="emails",
    )
    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="emails",
    )
    consent_request = models.ForeignKey(
        "referrals.ConsentRequest", verbose_name=_("consent request"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="emails",
    )

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("email outbox")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="members_outboundemail_sent_has_time"
            ),
        ]
        indexes = [
            # The sweep's question: what is due (or held by a worker that died)?
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=["queued", "sending"]), name="members_outbox_due"
            ),
            models.Index(fields=["status", "created_at"], name="members_outbox_status"),
            models.Index(fields=["created_at", "id"], name="members_outbox_created"),  # the admin's list
        ]

    def __str__(self) -> str:
        return _("%(kind)s to %(to)s: %(subject)s") % {
            "kind": self.get_kind_display(), "to": self.to, "subject": self.subject,
        }


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One consequential act: who, when, what, before and after. Written once, never changed."""

    # Deleting an account nulls this (the one change the PostgreSQL trigger allows, see migration
    # 0005): the foreign key stays a real constraint, and the snapshot below keeps who acted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system (a scheduled task) acted, or once the actor's account was deleted."),
    )
    actor_name = models.CharField(
        _("actor's name"), max_length=150, blank=True,
        help_text=_("The actor's name when they acted; kept after their account is deleted."),
    )
    actor_email = models.CharField(
        _("actor's email"), max_length=254, blank=True,
        help_text=_("The actor's email when they acted; empty when the system acted."),
    )
    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=40)
    summary = models.CharField(
        _("summary"), max_length=300,
        help_text=_("What happened, in the site's language as written; shown when the summary has no key."),
    )
    summary_key = models.CharField(
        _("summary key"), max_length=300, blank=True,
        help_text=_("The English words of the summary as a message id, worded in each reader's language."),
    )
    summary_params = models.JSONField(
        _("summary facts"), default=dict, blank=True,
        help_text=_("The names (as they were), ids, dates, amounts and counts the summary's words name."),
    )
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_at", "id"], name="members_audit_created")]  # the admin's list

    def __str__(self) -> str:
        return self.summary_text

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")

    @property
    def is_system(self) -> bool:
        return self.actor_id is None and not (self.actor_name or self.actor_email)

    @property
    def summary_text(self) -> str:
        """The summary in the reader's language (members.audit); the stored words without a key or on error."""
        from members.audit import summary_text

        language = get_language()
        cached = getattr(self, "_summary_text", None)
        if cached is None or cached[0] != language:  # a page may show it twice: worded once per language
            cached = (language, summary_text(self))
            self._summary_text = cached
        return cached[1]

    @property
    def actor_label(self) -> str:
        """Who acted, as they were then ("" for the system); says so when their account is gone."""
        if self.is_system:
            return ""
        name = self.actor_name or self.actor_email
        if self.actor_id is None:
            if self.actor_name and self.actor_email:
                return _("%(name)s (%(email)s), account deleted") % {"name": name, "email": self.actor_email}
            return _("%(name)s, account deleted") % {"name": name}
        return name
