import type { APIRoute } from 'astro';
import { pageView } from '../../../publish/page-view.ts';
import { staticPaths } from '../../../publish/static-site.ts';
import { serialise } from '../../../publish/views/route-view.ts';

/** Every Statuspage v2 document; the file name picks the document (see `statuspageDocument`). */
export const getStaticPaths = () => staticPaths('api');

export const GET: APIRoute = (context) =>
  new Response(serialise.json(pageView<unknown>(context)), {
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
