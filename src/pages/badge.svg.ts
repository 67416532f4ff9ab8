import type { APIRoute } from 'astro';
import type { BadgeView } from '../publish/badge.ts';
import { pageView } from '../publish/page-view.ts';
import { serialise } from '../publish/views/route-view.ts';

export const GET: APIRoute = (context) =>
  new Response(serialise.badge(pageView<BadgeView>(context)), {
    headers: { 'content-type': 'image/svg+xml; charset=utf-8' },
  });
