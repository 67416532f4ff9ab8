import Database from 'libsql';
const db = new Database('/tmp/exp100k/herald.db', { readonly: true });
console.log(db.prepare('select sqlite_version() v').get());
console.log(db.prepare("select sql from sqlite_master where tbl_name in ('update_components','incident_components') and type='index'").all().map(r=>r.sql));
const ids = db.prepare("SELECT id FROM incidents WHERE visibility='public' ORDER BY started_at DESC LIMIT 2000 OFFSET 50000").all().map(r => r.id);
const F = (j) => `
  'id', i.id, 'title', i.title, 'severity', i.severity, 'status', i.status, 'impact', i.impact,
  'impact_override', ${j}(CASE i.impact_override WHEN 1 THEN 'true' ELSE 'false' END),
  'visibility', i.visibility, 'public_since', i.public_since, 'roles', ${j}(i.roles),
  'business_impact', ${j}(i.business_impact), 'eta', i.eta, 'started_at', i.started_at, 'detected_at', i.detected_at,
  'acknowledged_at', i.acknowledged_at, 'resolved_at', i.resolved_at,
  'monitoring_at', i.monitoring_at, 'created_at', i.created_at, 'updated_at', i.updated_at,
  'version', i.version,
  'components', coalesce((SELECT ${j}_group_array(${j}_object('id', ic.component_id, 'status', ic.status) ORDER BY ic.position)
     FROM incident_components ic WHERE ic.incident_id = i.id), ${j}('[]'))`;
const U = (j) => `${j}_object(
  'id', u.id, 'incident_id', u.incident_id, 'seq', u.seq, 'status', u.status,
  'message', u.message, 'notify', ${j}(CASE u.notify WHEN 1 THEN 'true' ELSE 'false' END),
  'display_at', u.display_at, 'created_at', u.created_at, 'author', u.author,
  'components', coalesce((SELECT ${j}_group_array(${j}_object(
      'id', uc.component_id, 'old_status', uc.old_status, 'new_status', uc.new_status) ORDER BY uc.rowid)
    FROM update_components uc WHERE uc.update_id = u.id), ${j}('[]')))`;
const OLD = `json_object(${F('json').replaceAll("coalesce((SELECT json_group_array", "json(coalesce((SELECT json_group_array").replace("json('[]'))`", "'[]'))").replace(", json('[]'))", ", '[]'))")},
  'updates', json(coalesce((SELECT json_group_array(json_object(
  'id', u.id, 'incident_id', u.incident_id, 'seq', u.seq, 'status', u.status,
  'message', u.message, 'notify', json(CASE u.notify WHEN 1 THEN 'true' ELSE 'false' END),
  'display_at', u.display_at, 'created_at', u.created_at, 'author', u.author,
  'components', json(coalesce((SELECT json_group_array(json_object(
      'id', uc.component_id, 'old_status', uc.old_status, 'new_status', uc.new_status) ORDER BY uc.rowid)
    FROM update_components uc WHERE uc.update_id = u.id), '[]'))) ORDER BY u.display_at DESC, u.seq DESC)
     FROM updates u WHERE u.incident_id = i.id), '[]'))) AS doc`;
const NEW = `json(jsonb_object(${F('jsonb')},
  'updates', coalesce((SELECT jsonb_group_array(${U('jsonb')} ORDER BY u.display_at DESC, u.seq DESC)
     FROM updates u WHERE u.incident_id = i.id), jsonb('[]')))) AS doc`;
const q = (cols) => db.prepare(`SELECT ${cols} FROM incidents i WHERE i.id IN (SELECT value FROM json_each(?))`);
const qo = q(OLD), qn = q(NEW);
let same = 0;
for (let i = 0; i < 2000; i += 200) { const a = qo.all(JSON.stringify(ids.slice(i, i+200))), b = qn.all(JSON.stringify(ids.slice(i, i+200))); for (let k = 0; k < a.length; k++) if (JSON.stringify(JSON.parse(a[k].doc)) === JSON.stringify(JSON.parse(b[k].doc))) same++; else if (k==0) console.log(a[k].doc.slice(0,400), '\n', b[k].doc.slice(0,400)); }
console.log('same', same);
for (const [name, st] of [['old', qo], ['new', qn], ['old', qo], ['new', qn]]) { const t = performance.now(); for (let i = 0; i < 2000; i += 200) st.all(JSON.stringify(ids.slice(i, i+200))); console.log(name, ((performance.now() - t)/2000).toFixed(4), 'ms/incident'); }
const variants = {
  fieldsOnly: `json_object(${F('json').replace(/,\s*'components'[\s\S]*$/, '')}) AS doc`,
  fieldsComps: `json_object(${F('json')}) AS doc`,
  updNoComp: `json_object('u', (SELECT json_group_array(json_object('id', u.id, 'message', u.message, 'display_at', u.display_at) ORDER BY u.display_at DESC, u.seq DESC) FROM updates u WHERE u.incident_id = i.id)) AS doc`,
  updNoOrder: `json_object('u', (SELECT json_group_array(json_object('id', u.id, 'message', u.message, 'display_at', u.display_at)) FROM updates u WHERE u.incident_id = i.id)) AS doc`,
  updCount: `(SELECT count(*) FROM updates u WHERE u.incident_id = i.id) AS doc`,
  updcomp: `(SELECT count(*) FROM updates u, update_components uc WHERE u.incident_id = i.id and uc.update_id = u.id) AS doc`,
};
for (const [name, cols] of Object.entries(variants)) { const st = q(cols); st.all(JSON.stringify(ids.slice(0,200))); const t = performance.now(); for (let i = 0; i < 2000; i += 200) st.all(JSON.stringify(ids.slice(i, i+200))); console.log(name, ((performance.now() - t)/2000).toFixed(4), 'ms/incident'); }
console.log(db.prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM updates u, update_components uc WHERE u.incident_id = ? and uc.update_id = u.id").all('x').map(r=>r.detail));
console.log(db.prepare("select sql from sqlite_master where name in ('update_components','updates')").all().map(r=>r.sql).join('\n'));
