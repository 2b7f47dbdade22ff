// pg_dump's post-data split as pg_restore -j would: index builds per table in parallel, the rest in order.
import { test } from '../support/uvu.ts'
import * as assert from 'uvu/assert'
import { planPostData } from '../../lib/engines/postgres/post-data.ts'

const entry = (name: string, type: string, sql: string) => `\n--\n-- Name: ${name}; Type: ${type}; Schema: public; Owner: app\n--\n\n${sql}\n\n`

test('primary keys, unique constraints and indexes go in parallel groups by table; the rest stays in order', () => {
  const sql = '\\restrict abc\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config(\'search_path\', \'\', false);\n'
    + entry('t t_pkey', 'CONSTRAINT', 'ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);')
    + entry('t_k', 'INDEX', 'CREATE INDEX t_k ON public.t USING btree (k);')
    + entry('u_lower', 'INDEX', 'CREATE UNIQUE INDEX u_lower ON ONLY public.u USING btree (lower(n));')
    + entry('t t_check', 'CONSTRAINT', 'ALTER TABLE public.t\n    ADD CONSTRAINT t_check CHECK ((k > 0)) NOT VALID;')
    + entry('u_2024_lower', 'INDEX ATTACH', 'ALTER INDEX public.u_lower ATTACH PARTITION public.u_2024_lower;')
    + entry('t t_u_fkey', 'FK CONSTRAINT', 'ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_u_fkey FOREIGN KEY (u) REFERENCES public.u(id);')
    + entry('t trg', 'TRIGGER', 'CREATE TRIGGER trg AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f();')
    + '\\unrestrict abc\n'
  const plan = planPostData(sql)
  assert.not.match(plan.header + plan.serial, '\\restrict')
  assert.match(plan.header, 'SET statement_timeout = 0;')
  assert.equal(plan.parallel, [
    ['ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);', 'CREATE INDEX t_k ON public.t USING btree (k);'],
    ['CREATE UNIQUE INDEX u_lower ON ONLY public.u USING btree (lower(n));'],
  ])
  assert.equal(plan.serial.split('\n\n'), [
    'ALTER TABLE public.t\n    ADD CONSTRAINT t_check CHECK ((k > 0)) NOT VALID;',
    'ALTER INDEX public.u_lower ATTACH PARTITION public.u_2024_lower;',
    'ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_u_fkey FOREIGN KEY (u) REFERENCES public.u(id);',
    'CREATE TRIGGER trg AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f();',
  ])
})

test.run()
