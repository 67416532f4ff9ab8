import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Liquid, type Template } from 'liquidjs';
import { ConfigError } from '../config/content.ts';

/** The folders under the templates directory that hold email templates. */
export const MAIL_TEMPLATE_FOLDERS = ['email', 'executive'] as const;

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface MailTemplates {
  /** Template names such as `email/cadence-reminder`. */
  readonly names: string[];
  render(name: string, vars: Record<string, unknown>): RenderedEmail;
}

interface Parsed {
  subject: Template[];
  html: Template[];
  text: Template[];
}

const PARTS = ['subject', 'html', 'text'] as const;
const EXTENSION: Record<(typeof PARTS)[number], string> = {
  subject: '.subject.liquid',
  html: '.html.liquid',
  text: '.txt.liquid',
};

/**
 * Loads every email in `templates/email` and `templates/executive`: each is three files,
 * `<name>.subject.liquid`, `<name>.html.liquid` and `<name>.txt.liquid` (files starting with `_`
 * are layouts and partials). HTML output is escaped by default, so nothing a responder typed can
 * become markup; the text and subject engines do not escape. Both are strict: a misspelt variable
 * is an error, not a blank. `samples` are rendered once at load so such errors stop start-up
 * instead of a notice at 3 a.m.
 */
export async function loadMailTemplates(
  dir: string,
  samples: Record<string, Record<string, unknown>> = {},
): Promise<MailTemplates> {
  const files: Record<string, string> = {};
  for (const folder of MAIL_TEMPLATE_FOLDERS) {
    let entries: string[];
    try {
      entries = await readdir(join(dir, folder));
    } catch {
      continue;
    }
    for (const entry of entries.filter((e) => e.endsWith('.liquid')).sort()) {
      files[`${folder}/${entry}`] = await readFile(join(dir, folder, entry), 'utf8');
    }
  }
  const common = { templates: files, strictVariables: true, strictFilters: true };
  const html = new Liquid({ ...common, outputEscape: 'escape' });
  const plain = new Liquid({ ...common });

  const names = [
    ...new Set(
      Object.keys(files)
        .filter((f) => f.endsWith(EXTENSION.html) && !f.split('/').pop()!.startsWith('_'))
        .map((f) => f.slice(0, -EXTENSION.html.length)),
    ),
  ];
  const parsed = new Map<string, Parsed>();
  for (const name of names) {
    const entry = {} as Parsed;
    for (const part of PARTS) {
      const file = `${name}${EXTENSION[part]}`;
      const source = files[file];
      if (source === undefined) {
        throw new ConfigError(
          `${join(dir, file)} is missing: every email needs a subject, HTML and text part`,
        );
      }
      try {
        entry[part] = (part === 'html' ? html : plain).parse(source, file);
      } catch (error) {
        throw new ConfigError(
          `${join(dir, file)}: template does not parse: ${(error as Error).message}`,
        );
      }
    }
    parsed.set(name, entry);
  }

  const templates: MailTemplates = {
    names,
    render(name, vars) {
      const entry = parsed.get(name);
      if (!entry) throw new Error(`no email template "${name}" in ${dir}`);
      const subject = (plain.renderSync(entry.subject, vars) as string).replace(/\s+/g, ' ').trim();
      const text = (plain.renderSync(entry.text, vars) as string).trim() + '\n';
      return { subject, html: html.renderSync(entry.html, vars) as string, text };
    },
  };
  for (const [name, vars] of Object.entries(samples)) {
    if (!parsed.has(name)) {
      throw new ConfigError(
        `${join(dir, `${name}${EXTENSION.html}`)} is missing: Herald sends this email`,
      );
    }
    try {
      templates.render(name, vars);
    } catch (error) {
      throw new ConfigError(
        `${join(dir, name)}.*.liquid does not render: ${(error as Error).message}`,
      );
    }
  }
  return templates;
}
