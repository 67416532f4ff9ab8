import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadContent, type Content } from '../../src/config/content.ts';
import { loadMailTemplates } from '../../src/mail/templates.ts';
import { sampleVariables, TEMPLATE_FOR } from '../../src/scheduler/messages.ts';
import { REPO_ROOT } from '../support/harness.ts';

let content: Content;
let dirs: string[] = [];
beforeAll(async () => {
  content = await loadContent(join(REPO_ROOT, 'content'));
});
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function templatesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-tpl-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('the shipped email templates', () => {
  it('exist for every notice, render with the sample incident, and have a subject, HTML and text', async () => {
    const samples = sampleVariables(content, 'https://status.acme.example');
    const templates = await loadMailTemplates(join(REPO_ROOT, 'templates'), samples);
    for (const name of Object.values(TEMPLATE_FOR)) {
      const email = templates.render(name, samples[name]!);
      expect(email.subject).toMatch(/^\[SEV1\] /);
      expect(email.subject).not.toMatch(/[\r\n]/);
      expect(email.html).toMatch(/^<!doctype html>/);
      expect(email.text.trim().length).toBeGreaterThan(50);
      expect(email.text).not.toMatch(/<[a-z]/);
    }
  });
});

describe('loading email templates', () => {
  const minimal = {
    'email/hello.subject.liquid': 'Hello {{ name }}',
    'email/hello.html.liquid': '<p>Hello {{ name }}</p>',
    'email/hello.txt.liquid': 'Hello {{ name }}',
  };

  it('escapes variables in HTML and leaves them as they are in text and subject', async () => {
    const templates = await loadMailTemplates(templatesDir(minimal));
    const email = templates.render('email/hello', { name: '<img src=x onerror=alert(1)> & "co"' });
    expect(email.html).toBe('<p>Hello &lt;img src=x onerror=alert(1)&gt; &amp; &#34;co&#34;</p>');
    expect(email.text).toBe('Hello <img src=x onerror=alert(1)> & "co"\n');
    expect(email.subject).toBe('Hello <img src=x onerror=alert(1)> & "co"');
  });

  it('keeps a subject on one line whatever the variable holds', async () => {
    const templates = await loadMailTemplates(templatesDir(minimal));
    expect(templates.render('email/hello', { name: 'a\r\nBcc: x@evil.example' }).subject).toBe(
      'Hello a Bcc: x@evil.example',
    );
  });

  it('refuses an email without its plain-text part, naming the missing file', async () => {
    const dir = templatesDir({
      'email/hello.subject.liquid': 'Hi',
      'email/hello.html.liquid': '<p>Hi</p>',
    });
    await expect(loadMailTemplates(dir)).rejects.toThrow(/hello\.txt\.liquid is missing/);
  });

  it('stops start-up on a misspelt variable instead of sending a blank', async () => {
    const dir = templatesDir({ ...minimal, 'email/hello.txt.liquid': 'Hello {{ nmae }}' });
    await expect(loadMailTemplates(dir, { 'email/hello': { name: 'Ada' } })).rejects.toThrow(
      /hello\.\*\.liquid does not render: .*nmae/,
    );
  });

  it('names a template that does not parse', async () => {
    const dir = templatesDir({ ...minimal, 'email/hello.html.liquid': '<p>{% if %}</p>' });
    await expect(loadMailTemplates(dir)).rejects.toThrow(
      /hello\.html\.liquid: template does not parse/,
    );
  });
});
