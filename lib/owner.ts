// Files datakeep writes on the host belong to the person who ran it, also under sudo or as root
// in a container: SUDO_UID/SUDO_GID, else the owner of the project folder.
import fs from 'node:fs'
import type { Config } from './config.ts'

export interface Owner { uid: number; gid: number }

/** The owner to give written files to, or undefined when they are already created as that user. */
export function invokingOwner(cfg: Config): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined
  const uid = Number(cfg.SUDO_UID)
  const gid = Number(cfg.SUDO_GID)
  if (cfg.SUDO_UID && Number.isInteger(uid)) return { uid, gid: Number.isInteger(gid) && cfg.SUDO_GID ? gid : uid }
  const st = fs.statSync(cfg.projectDir)
  return st.uid === 0 ? undefined : { uid: st.uid, gid: st.gid }
}

/** chown -R, for a folder datakeep just wrote. */
export function giveTo(owner: Owner | undefined, p: string): void {
  if (!owner) return
  fs.lchownSync(p, owner.uid, owner.gid)
  if (fs.lstatSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p)) giveTo(owner, `${p}/${e}`)
  }
}
