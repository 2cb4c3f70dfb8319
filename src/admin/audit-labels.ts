// How the audit log's stored names read in the reader's language. The log keeps what it stored ("user.delete",
// "wasStaff"); only the page translates it, so old entries still read after a rename and nothing is rewritten.
// The keys are spelled out whole (not built from the stored name) so the locale tests see each one used.

/** What the log stores as the actor of a management command (in actor_username, with no actor_id). */
export const CLI_ACTORS = { createsuperuser: "cli:createsuperuser" } as const;

export const AUDIT_LABELS = {
  actors: {
    [CLI_ACTORS.createsuperuser]: "admin.audit.actors.createsuperuser",
    // What entries written before the code was stored say.
    "createsuperuser (command line)": "admin.audit.actors.createsuperuser",
  },
  actions: {
    "user.activate": "admin.audit.actions.user_activate",
    "user.deactivate": "admin.audit.actions.user_deactivate",
    "user.grant_staff": "admin.audit.actions.user_grant_staff",
    "user.revoke_staff": "admin.audit.actions.user_revoke_staff",
    "user.create_superuser": "admin.audit.actions.user_create_superuser",
    "user.delete": "admin.audit.actions.user_delete",
    "user.password_reset": "admin.audit.actions.user_password_reset",
    "user.email_verified": "admin.audit.actions.user_email_verified",
    "user.email_change": "admin.audit.actions.user_email_change",
    "user.sessions_end": "admin.audit.actions.user_sessions_end",
    "user.2fa_enable": "admin.audit.actions.user_2fa_enable",
    "user.2fa_disable": "admin.audit.actions.user_2fa_disable",
    "user.2fa_recovery_used": "admin.audit.actions.user_2fa_recovery_used",
    "user.2fa_recovery_regenerate": "admin.audit.actions.user_2fa_recovery_regenerate",
    "user.export": "admin.audit.actions.user_export",
    "user.self_delete": "admin.audit.actions.user_self_delete",
    "note.delete": "admin.audit.actions.note_delete",
    "message.delete": "admin.audit.actions.message_delete",
    "image.delete": "admin.audit.actions.image_delete",
  },
  targets: {
    user: "admin.audit.targets.user",
    note: "admin.audit.targets.note",
    message: "admin.audit.targets.message",
    image: "admin.audit.targets.image",
  },
  fields: {
    username: "admin.audit.fields.username",
    wasStaff: "admin.audit.fields.was_staff",
    notes: "admin.audit.fields.notes",
    messages: "admin.audit.fields.messages",
    chats: "admin.audit.fields.chats",
    images: "admin.audit.fields.images",
    ownerId: "admin.audit.fields.owner_id",
    owner: "admin.audit.fields.owner",
    chatId: "admin.audit.fields.chat_id",
    excerpt: "admin.audit.fields.excerpt",
    originalName: "admin.audit.fields.original_name",
    path: "admin.audit.fields.path",
    sessionsEnded: "admin.audit.fields.sessions_ended",
  },
} as const satisfies Record<string, Record<string, string>>;
