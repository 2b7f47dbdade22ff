// Stops what a test process leaves running in its temp folders, and removes the folders, however
// that process ends: `node reaper.mjs` reads folders from stdin, one a line, and acts when stdin
// closes (the test process exited, crashed or was killed with SIGKILL: the kernel closes the pipe);
// `node reaper.mjs --now DIR...` acts at once (the test process's own exit handler). Every process
// whose argv names one of the folders (a test server: --datadir=, --socket=; its clients) is killed
// with SIGKILL: the data is a test's, thrown away next. Plain JavaScript: it starts in 50 ms.
import fs from 'node:fs'
import path from 'node:path'

/** Pids of the processes (not this one) whose argv names one of `dirs`. */
export function holders(dirs) {
  const found = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    let argv
    try { argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') } catch { continue }
    if (argv.some((a) => dirs.some((d) => a === d || a.includes(`${d}/`)))) found.push(Number(name))
  }
  return found
}

function sleep(ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) }

/** Kills the holders of `dirs`, waits (5 s at most) until they are gone, then removes the folders. */
export function reap(dirs) {
  dirs = dirs.filter(Boolean).map((d) => path.resolve(d))
  if (dirs.length === 0) return
  const deadline = Date.now() + 5000
  for (let pids = holders(dirs); pids.length > 0 && Date.now() < deadline; pids = holders(dirs)) {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch { /* gone already */ } }
    sleep(50)
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  if (process.argv[2] === '--now') reap(process.argv.slice(3))
  else {
    let text = ''
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', (d) => { text += d })
    process.stdin.on('close', () => reap(text.split('\n')))
  }
}
