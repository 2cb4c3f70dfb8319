// Every migration, in order. Listed explicitly (not globbed) so the same list works under tsx and compiled.
import { InitialSchema1764118000000 } from "./1764118000000-initial-schema";
import { ChatLastMessageId1764300000000 } from "./1764300000000-chat-last-message-id";
import { UserLocaleTimeZone1764900000000 } from "./1764900000000-user-locale-time-zone";
import { MediaAccessIndexes1765019351312 } from "./1765019351312-media-access-indexes";
import { Accounts1765019481308 } from "./1765019481308-accounts";
import { ChatEveryday1765021144240 } from "./1765021144240-chat-everyday";
import { ChatMemberMute1765021232137 } from "./1765021232137-chat-member-mute";
import { ImageCaption1765022774314 } from "./1765022774314-image-caption";
import { UserTheme1765042037307 } from "./1765042037307-user-theme";
import { ReactionRequests1796433757598 } from "./1796433757598-reaction-requests";
import { ChatPhotos1796440000000 } from "./1796440000000-chat-photos";
import { DataExportLease1796445000000 } from "./1796445000000-data-export-lease";
import { UnreadLiveIndex1796450000000 } from "./1796450000000-unread-live-index";

export const migrations: Function[] = [
  InitialSchema1764118000000,
  ChatLastMessageId1764300000000,
  UserLocaleTimeZone1764900000000,
  MediaAccessIndexes1765019351312,
  Accounts1765019481308,
  ChatEveryday1765021144240,
  ChatMemberMute1765021232137,
  ImageCaption1765022774314,
  UserTheme1765042037307,
  ReactionRequests1796433757598,
  ChatPhotos1796440000000,
  DataExportLease1796445000000,
  UnreadLiveIndex1796450000000,
];
