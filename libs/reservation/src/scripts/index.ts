import { COMMIT_LUA } from './commit.lua';
import { EXPIRE_DUE_LUA } from './expire-due.lua';
import { RELEASE_LUA } from './release.lua';
import { REPAIR_LUA } from './repair.lua';
import { RESERVE_LUA } from './reserve.lua';
import { ADD_AVAILABLE_LUA, REMOVE_AVAILABLE_LUA } from './available.lua';
import {
  REBUILD_ABORT_LUA,
  REBUILD_ACQUIRE_LUA,
  REBUILD_EXTEND_LUA,
  REBUILD_FINALIZE_LUA,
  REBUILD_RESTORE_HELD_LUA,
} from './rebuild.lua';

/** Script name (as registered with ioredis `defineCommand`) → Lua source and key count (null: first argument). */
export const SCRIPTS = {
  kamiRsvReserve: { lua: RESERVE_LUA, keys: null },
  kamiRsvCommit: { lua: COMMIT_LUA, keys: 2 },
  kamiRsvRelease: { lua: RELEASE_LUA, keys: 5 },
  kamiRsvRepair: { lua: REPAIR_LUA, keys: 5 },
  kamiRsvExpireDue: { lua: EXPIRE_DUE_LUA, keys: 5 },
  kamiRsvAddAvailable: { lua: ADD_AVAILABLE_LUA, keys: 4 },
  kamiRsvRemoveAvailable: { lua: REMOVE_AVAILABLE_LUA, keys: 2 },
  kamiRsvAcquire: { lua: REBUILD_ACQUIRE_LUA, keys: 3 },
  kamiRsvExtend: { lua: REBUILD_EXTEND_LUA, keys: 1 },
  kamiRsvAbort: { lua: REBUILD_ABORT_LUA, keys: 2 },
  kamiRsvRestoreHeld: { lua: REBUILD_RESTORE_HELD_LUA, keys: null },
  kamiRsvFinalize: { lua: REBUILD_FINALIZE_LUA, keys: 5 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
