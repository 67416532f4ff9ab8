import { staticSiteZone, staticView } from './static-site.ts';

/**
 * The view a page or endpoint renders. The publisher passes it as `Astro.locals.view`; a plain
 * static `astro build` (the benchmark's comparison) has no locals, so the view is computed from a
 * snapshot file instead. Either way the page itself only prints what it is given.
 */
export function pageView<T>(context: { locals: unknown; url: URL }): T {
  const view = (context.locals as { view?: unknown } | undefined)?.view;
  if (view !== undefined && view !== null) return view as T;
  return staticView(context.url.pathname) as T;
}

/** The site's time zone for a component that prints times, from the page's view (see `pageView`). */
export function pageTimeZone(context: { locals: unknown }): string {
  const view = (context.locals as { view?: { site?: { timeZone?: string } } } | undefined)?.view;
  return view?.site?.timeZone ?? staticSiteZone();
}
