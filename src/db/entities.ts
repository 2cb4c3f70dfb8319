// Every entity, listed once: the DataSource and the schema-diff check both read this list. The one place src/db
// names the features (TypeORM needs every entity class); nothing else in src/db imports a feature.
import { AuditLog } from "../admin/audit-log.entity";
import { Session } from "../auth/session.entity";
import { User } from "../auth/user.entity";
import { Chat } from "../chat/chat.entity";
import { ChatMember } from "../chat/chat-member.entity";
import { Message } from "../chat/message.entity";
import { Gallery } from "../gallery/gallery.entity";
import { Image } from "../gallery/image.entity";
import { Note } from "../notes/note.entity";

export const entities = [User, Gallery, Image, Note, Chat, ChatMember, Message, AuditLog, Session];
