// index.html's sections after the tables: views (definition and what they read), routines,
// triggers (on a table, or on a view: PostgreSQL's INSTEAD OF), events, sequences. Each object has an id, so
// the tables' sections can link to it.
import type { Schema } from './model.ts'
import { h, linker } from './html-util.ts'

export function objectSections(s: Schema): string[] {
  const link = linker(s)
  const o: string[] = []
  if (s.views.length) o.push('<h2 id="views">Views</h2>', ...s.views.map((v) =>
    `<section class="view" id="view-${h(v.name)}"><h3>${h(v.name)}${v.materialized ? ' <small>materialized</small>' : ''}</h3><p>Reads: ${v.reads.map(link.relation).join(', ') || '-'}</p><pre>${h(v.definition)}</pre></section>`))
  if (s.routines.length) o.push('<h2 id="routines">Routines</h2>', ...s.routines.map((r) =>
    `<section class="routine" id="routine-${h(r.name)}"><h3>${h(r.name)} <small>${h(r.type.toLowerCase())}</small></h3><pre>${h(r.definition)}</pre></section>`))
  if (s.triggers.length) o.push('<h2 id="triggers">Triggers</h2>', ...s.triggers.map((t) =>
    `<section class="trigger" id="trigger-${h(t.name)}"><h3>${h(t.name)}</h3><p>${h(t.timing)} ${h(t.event)} ON ${link.relation(t.table)}</p><pre>${h(t.statement)}</pre></section>`))
  if (s.events.length) o.push('<h2 id="events">Events</h2>', ...s.events.map((e) =>
    `<section class="event" id="event-${h(e.name)}"><h3>${h(e.name)}</h3><p>${h(e.schedule)}, ${h(e.status)}</p><pre>${h(e.definition)}</pre></section>`))
  if (s.sequences.length) o.push('<h2 id="sequences">Sequences</h2><ul>', ...s.sequences.map((q) => `<li id="sequence-${h(q)}">${h(q)}</li>`), '</ul>')
  return o
}
