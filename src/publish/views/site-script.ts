/**
 * The page's only script: progressive enhancement over pages that work without it (SPEC §7).
 * It is a file of its own (`PAGE_SCRIPT_FILE`, allowed as the site's own script by the
 * Content-Security-Policy), fetches only from the page's own origin, and writes text through `textContent`, never markup. It runs in `<head>`: while the
 * page is parsed, a MutationObserver writes every text it owns (below) as each element arrives, so
 * no layout the browser makes, painted or not, ever holds the server's text, and nothing moves
 * afterwards (no layout shift, whatever the parser's chunking or the machine's load). Each such
 * text is a function of the element's attributes and the clock alone, so writing it again, when
 * the parser appends the rest of a split text, restores it. The rest waits for DOMContentLoaded.
 * What it does:
 *
 * - times: every `<time datetime>` with a clock is shown in the reader's own zone, zone named (the
 *   HTML carries the site's zone, kept as the tooltip; a time under its day's heading, a `.day`
 *   section labelled `day-YYYY-MM-DD`, shows its clock alone while the reader's day is that day
 *   too, its whole date otherwise); `data-ago` / `data-for` elements show
 *   "5 min ago" and "33 min" and keep counting, and a `data-due` "Next update by" turns into
 *   "Update overdue since" the moment it passes;
 * - live refresh (`main[data-live]`, the status page): every 30 s while the tab is visible it
 *   reads `/api/v2/summary.json` and updates the banner, the component statuses and the active
 *   incidents (latest update, "next update by"), with an "updated N s ago" line;
 * - uptime days: each bar of a `.bars` row in a `[data-s]` group (the first day's date) of `[data-c]` components can be tapped or hovered, and one per row is a
 *   focusable button (arrow keys, Home and End move it; only that bar carries the attributes, so
 *   2,700 bars cost nothing at load); it opens that day's details, taken from the per-day anchor of the
 *   component page (`/components/{id}/#day-YYYY-MM-DD`, which is the no-JavaScript path);
 * - history filter: `form#filter` (shown as it arrives) filters the entries of a history page by
 *   component and impact.
 *
 * The script holds no `<` at all (comparisons are written `b>a`), so no `</script>` can ever end it.
 */
export const PAGE_SCRIPT = `(()=>{
const d=document,$=(s,r=d)=>[...r.querySelectorAll(s)],now=()=>Date.now();
const FULL={day:'numeric',month:'short',year:'numeric',hour:'2-digit',minute:'2-digit',timeZoneName:'short'};
const CLOCK={hour:'2-digit',minute:'2-digit',timeZoneName:'short'};
const dur=ms=>{const m=Math.max(0,Math.round(ms/6e4));if(1>m)return'under a minute';const D=Math.floor(m/1440),h=Math.floor(m%1440/60),n=m%60;return D?D+' d'+(h?' '+h+' h':''):h?h+' h'+(n?' '+n+' min':''):n+' min'};
const ago=iso=>{const s=Math.round((now()-Date.parse(iso))/1e3);return 60>s?Math.max(0,s)+' s ago':dur(s*1e3)+' ago'};
const NEXT=due=>now()>Date.parse(due)?'Update overdue since':'Next update by';
let fresh=new Date().toISOString();
const put=(e,t)=>{if(e.textContent!==t)e.textContent=t};
const UNIT='time[datetime*="T"],[data-ago],[data-for],[data-due],#live,#filter';
const ymd=x=>new Date(x-x.getTimezoneOffset()*6e4).toISOString().slice(0,10);
const onDay=(e,x)=>{const s=e.closest('.day');return!!s&&s.getAttribute('aria-labelledby')==='day-'+ymd(x)};
function unit(e){const k=e.dataset;
if(e.localName==='time'){const x=new Date(e.dateTime);if(isNaN(x))return;
const c=x.toLocaleString(undefined,(k.f==='t'&&x.toDateString()===new Date().toDateString())||onDay(e,x)?CLOCK:FULL),t=e.textContent;if(t===c)return;
k.site=k.site&&t.startsWith(c)?k.site+t.slice(c.length):t;e.title=k.site;e.textContent=c}
else if(k.ago)put(e,ago(k.ago));else if(k.for)put(e,dur(now()-Date.parse(k.for)));
else if(k.due){if(e.firstElementChild)put(e.firstElementChild,NEXT(k.due))}
else if(e.id==='live')put(e,'Updated '+ago(fresh));else if(e.id==='filter')e.hidden=false}
function times(r){for(const e of $(UNIT,r))unit(e)}
const rel=r=>{for(const e of $('[data-ago],[data-for],[data-due]',r))unit(e)};
const up=n=>{for(let e=n instanceof Element?n.closest(UNIT):null;e;e=e.parentElement&&e.parentElement.closest(UNIT))unit(e)};
const seen=new MutationObserver(rs=>{for(const r of rs){up(r.type==='characterData'?r.target.parentElement:r.target);
for(const n of r.addedNodes)if(n instanceof Element){if(n.matches(UNIT))unit(n);times(n)}}});
seen.observe(d,{childList:true,subtree:true,characterData:true});
let poll=()=>{};
d.addEventListener('DOMContentLoaded',()=>{seen.disconnect();times(d);
setInterval(()=>{poll();rel(d)},1e3);
const main=d.querySelector('main[data-live]');
if(main){
const TONE={none:'ok',minor:'minor',major:'partial',critical:'major',maintenance:'maint'};
const CTONE={operational:'ok',degraded_performance:'minor',partial_outage:'partial',major_outage:'major',under_maintenance:'maint'};
const CLABEL={operational:'Operational',degraded_performance:'Degraded performance',partial_outage:'Partial outage',major_outage:'Major outage',under_maintenance:'Under maintenance'};
const ILABEL={investigating:'Investigating',identified:'Identified',monitoring:'Monitoring',resolved:'Resolved'};
const IMPACT={none:['No impact','ok'],minor:['Minor','minor'],major:['Major','partial'],critical:['Critical','major']};
const el=(tag,cls,text)=>{const e=d.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e};
const icon=tone=>{const s=d.createElementNS('http://www.w3.org/2000/svg','svg'),u=d.createElementNS('http://www.w3.org/2000/svg','use');s.setAttribute('aria-hidden','true');u.setAttribute('href','#i-'+tone);s.append(u);return s};
const tone=(e,p,t)=>{e.className=e.className.replace(new RegExp('\\\\b'+p+'-\\\\w+'),p+'-'+t)};
const paras=body=>{const m=el('div','msg');for(const p of String(body).split(/\\n\\s*\\n/))m.append(el('p',null,p));return m};
const time=(iso,f)=>{const t=el('time');t.dateTime=iso;if(f)t.dataset.f=f;t.textContent=iso;return t};
function next(a,i){let p=a.querySelector('.next');if(!i.next_update_at){p&&p.remove();return}
if(!p){p=el('p','next');a.append(p)}p.dataset.due=i.next_update_at;p.replaceChildren(el('span',null,NEXT(i.next_update_at)),' ',time(i.next_update_at,'t'))}
function card(i){const a=el('article','card incident');a.dataset.id=i.id;const h=el('h3'),l=el('a',null,i.name);l.href='/incidents/'+i.id+'/';h.append(l);
const m=el('div','meta'),[label,t]=IMPACT[i.impact]||IMPACT.none,s=el('span');s.dataset.k='latest';a.className+=' tone-'+t;m.append(el('span','pill t-'+t,label+' impact'));
const cs=i.components||[];if(cs.length){const f=el('span',null,'Affects ');cs.forEach((c,n)=>{const x=el('a',null,c.name);x.href='/components/'+c.id+'/';f.append(n?', ':'',x)});m.append(f)}
m.append(s);a.append(h,m,el('div','msg'));return a}
function incident(i){const list=d.getElementById('incidents');let a=list.querySelector('article[data-id="'+CSS.escape(i.id)+'"]');if(!a){a=card(i);list.prepend(a)}
const u=i.incident_updates[0];if(u&&a.dataset.u!==u.id){a.dataset.u=u.id;const s=a.querySelector('[data-k=latest]');
const st=el('strong',null,ILABEL[u.status]||u.status);const g=el('span','ago');g.dataset.ago=u.display_at;s.replaceChildren(st,' \\u00b7 ',time(u.display_at),' ',g);a.querySelector('.msg').replaceWith(paras(u.body))}
next(a,i)}
function apply(j){const b=d.querySelector('h1.banner');if(b){tone(b,'bg',TONE[j.status.indicator]);b.replaceChildren(icon(TONE[j.status.indicator]),j.status.description)}
for(const c of j.components||[]){if(c.group)continue;const s=d.querySelector('[data-c="'+CSS.escape(c.id)+'"] .status');if(!s)continue;const t=CTONE[c.status];tone(s,'t',t);s.replaceChildren(icon(t),CLABEL[c.status])}
const sec=d.getElementById('active-s');if(sec){const ids=new Set(j.incidents.map(i=>i.id));for(const a of $('#incidents>article'))if(!ids.has(a.dataset.id))a.remove();
for(const i of [...j.incidents].reverse())incident(i);sec.hidden=j.incidents.length===0;times(sec)}}
let last=now(),busy=false;const live=d.getElementById('live');
const tick=()=>{if(live)unit(live)};
async function refresh(){if(busy||d.hidden||3e4>now()-last)return;busy=true;try{const r=await fetch('/api/v2/summary.json',{cache:'no-store'});if(r.ok){apply(await r.json());fresh=new Date().toISOString()}}catch{}finally{busy=false;last=now();tick()}}
tick();poll=()=>{refresh();tick()};
d.addEventListener('visibilitychange',refresh);
}
const cache={};let pop=null,open=null;
const dayOf=(s,i)=>{const[y,m,x]=s.split('-').map(Number);return new Date(Date.UTC(y,m-1,x+i)).toISOString().slice(0,10)};
const start=row=>row.closest('[data-s]').dataset.s;
const label=b=>{const row=b.parentElement;return new Date(dayOf(start(row),[...row.children].indexOf(b))+'T12:00:00Z').toLocaleDateString(undefined,{day:'numeric',month:'short',year:'numeric',timeZone:'UTC'})};
function current(b){const row=b.parentElement,old=row.querySelector('[tabindex]');if(old===b)return;
if(old)for(const a of['tabindex','role','aria-label','aria-expanded'])old.removeAttribute(a);
b.tabIndex=0;b.setAttribute('role','button');b.setAttribute('aria-label',label(b));b.setAttribute('aria-expanded','false')}
async function show(bar){const row=bar.parentElement,day=dayOf(start(row),[...row.children].indexOf(bar)),id=row.closest('[data-c]').dataset.c,name=label(bar);
if(open&&open!==bar&&open.hasAttribute('aria-expanded'))open.setAttribute('aria-expanded','false');if(bar.hasAttribute('role'))bar.setAttribute('aria-expanded','true');
if(!pop){pop=d.createElement('div');pop.className='pop';pop.id='daypop';pop.setAttribute('role','region');pop.setAttribute('aria-live','polite')}
row.after(pop);pop.setAttribute('aria-label','Details for '+name);open=bar;
try{cache[id]??=fetch('/components/'+id+'/').then(r=>r.text()).then(t=>new DOMParser().parseFromString(t,'text/html'));
const src=(await cache[id]).getElementById('day-'+day);if(open!==bar)return;
pop.replaceChildren(...(src?[...src.childNodes].map(n=>d.importNode(n,true)):[name]));times(pop)}catch{pop.textContent=name}}
for(const row of $('[data-s] .bars')){const bars=[...row.children];row.setAttribute('role','group');current(bars[bars.length-1]);
const bar=e=>e.target.parentElement===row?e.target:null;
row.addEventListener('click',e=>{const b=bar(e);if(b){current(b);show(b)}});row.addEventListener('focusin',e=>{const b=bar(e);if(b)show(b)});
row.addEventListener('pointerover',e=>{const b=bar(e);if(b&&e.pointerType==='mouse')show(b)});
row.addEventListener('keydown',e=>{const i=bars.indexOf(e.target),k={ArrowLeft:i-1,ArrowRight:i+1,Home:0,End:bars.length-1}[e.key];
if(e.key==='Escape'&&pop){pop.remove();if(open&&open.hasAttribute('aria-expanded'))open.setAttribute('aria-expanded','false');open=null;return}
if(k==null||0>i)return;e.preventDefault();const dir=e.key==='Home'?1:e.key==='End'?-1:i>k?-1:1;let n=k;while(n>=0&&bars.length>n&&!bars[n].offsetWidth)n+=dir;
if(0>n||n>=bars.length)return;current(bars[n]);bars[n].focus()})}
const f=d.getElementById('filter');
if(f){const run=()=>{const c=f.elements.c.value,m=f.elements.i.value;let n=0;
for(const e of $('[data-cs]')){const ok=(!c||e.dataset.cs.split(' ').includes(c))&&(!m||e.dataset.im===m);e.hidden=!ok;if(ok)n++}
for(const s of $('.month')){const any=s.querySelector('[data-cs]:not([hidden])');const none=s.querySelector('.none');if(none)none.hidden=!!any||!s.querySelector('[data-cs]')}
d.getElementById('fcount').textContent=n+' shown'};f.addEventListener('change',run);f.addEventListener('submit',e=>{e.preventDefault();run()});
if(f.elements.c.value||f.elements.i.value)run()}
})})()`;
