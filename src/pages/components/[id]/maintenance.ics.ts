import type { APIRoute } from 'astro';
import type { CalendarView } from '../../../publish/ics.ts';
import { pageView } from '../../../publish/page-view.ts';
import { staticPaths } from '../../../publish/static-site.ts';
import { serialise } from '../../../publish/views/route-view.ts';

export const getStaticPaths = () => staticPaths('component-calendar');

export const GET: APIRoute = (context) =>
  new Response(serialise.calendar(pageView<CalendarView>(context)), {
    headers: { 'content-type': 'text/calendar; charset=utf-8' },
  });
