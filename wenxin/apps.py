from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WenxinConfig(AppConfig):
    name = "wenxin"
    verbose_name = _("用户与机构")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from wenxin.roles import sync_role_groups

        # Groups are configuration derived from code (wenxin.roles), so they are rebuilt after every migrate.
        # No sender: it must also run after the other apps' permissions exist, and the last run sees them all.
        post_migrate.connect(sync_role_groups, dispatch_uid="wenxin.sync_role_groups")

        # The audit trail (wenxin.audit): the models django-auditlog records, and its admin made read-only and
        # scoped (wenxin.audit_admin replaces the one auditlog registers, so it is imported before autodiscovery).
        from wenxin import audit, audit_admin  # noqa: F401

        audit.register_audited_models()
