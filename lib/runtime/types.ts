// The one interface every runtime implements: where the server lives and how to reach it.
import type { Connection } from '../db.ts'
import type { Target } from '../run.ts'
import type { ServerFiles } from './server-files.ts'

export type RuntimeName = 'docker' | 'local' | 'external'

export interface ServerState {
  running: boolean
  /** What datakeep knows about the process or container (pid, container state). */
  detail: string
}

export interface DataLocation {
  /** A path (local), a volume name (docker) or a server address (external). */
  where: string
  exists: boolean
  /** Size on disk, where it can be measured from here. */
  bytes?: number
}

export interface Runtime {
  readonly name: RuntimeName
  /**
   * The server reads and writes this machine's files at the same paths (the local runtime): a
   * dump lets it write the data files itself (SELECT ... INTO OUTFILE).
   */
  readonly sharesFiles: boolean
  /** The server's own data files (tables copied as their files); null where datakeep cannot reach them. */
  readonly serverFiles: ServerFiles | null
  /** Where client tools (mariadb, mariadb-dump) run. */
  readonly target: Target
  /** How datakeep connects with mysql2 (admin rights where the runtime owns the server). */
  readonly admin: Connection
  /** Start the server (creating its volume when missing) and wait until it answers. */
  start(): Promise<void>
  /** Stop the server. Never removes data. */
  stop(): Promise<void>
  state(): Promise<ServerState>
  data(): Promise<DataLocation>
  /** Create the empty volume; false when it already existed. */
  createVolume(): Promise<boolean>
  /** Remove the volume; refuses while the server runs. False when there was none. */
  removeVolume(): Promise<boolean>
  /** Connection flags for client tools run on `target` (the password goes in MYSQL_PWD). */
  clientArgs(): string[]
  clientEnv(): Record<string, string>
}
