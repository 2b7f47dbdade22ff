// A small seeded PRNG (sfc32): the same seed gives the same stream on every machine and Node
// version, which Math.random cannot promise. Each table gets its own stream, from (seed, name).

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A 32-bit FNV-1a hash of a string: spreads (seed, table) into a PRNG state. */
export function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: string) {
    this.a = hash32(`a${seed}`)
    this.b = hash32(`b${seed}`)
    this.c = hash32(`c${seed}`)
    this.d = 1
    for (let i = 0; i < 15; i++) this.u32() // mix the state before the first value
  }

  /** The next uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** `bytes` random bytes as lowercase hex. */
  hex(bytes: number): string {
    let s = ''
    for (let i = 0; i < bytes; i += 4) {
      const v = this.u32()
      s += HEX[v & 255] + HEX[(v >>> 8) & 255] + HEX[(v >>> 16) & 255] + HEX[v >>> 24]
    }
    return s.length === bytes * 2 ? s : s.slice(0, bytes * 2)
  }
}
