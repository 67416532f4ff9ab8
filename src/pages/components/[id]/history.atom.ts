import type { APIRoute } from 'astro';
import type { FeedView } from '../../../publish/feed.ts';
import { pageView } from '../../../publish/page-view.ts';
import { staticPaths } from '../../../publish/static-site.ts';
import { serialise } from '../../../publish/views/route-view.ts';

export const getStaticPaths = () => staticPaths('component-atom');

export const GET: APIRoute = (context) =>
  new Response(serialise.atom(pageView<FeedView>(context)), {
    headers: { 'content-type': 'application/atom+xml; charset=utf-8' },
  });
