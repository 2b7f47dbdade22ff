// Everything printed passes through redact(): passwords never reach a terminal or a log.
const secrets = new Set<string>()

/** Register a value that must never be printed (passwords, tokens). */
export function addSecret(value: string | undefined): void {
  if (value && value.length >= 3) secrets.add(value)
}

export function redact(text: string): string {
  let out = text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(\b(?:MYSQL_PWD|MYSQL_PASSWORD|MYSQL_ROOT_PASSWORD|MARIADB_ROOT_PASSWORD|PGPASSWORD|POSTGRES_PASSWORD|PASSWORD)=)\S+/g, '$1***')
    .replace(/(--password=)\S+/g, '$1***')
  for (const s of secrets) out = out.split(s).join('***')
  return out
}
