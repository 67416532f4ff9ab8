import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.ts';
import { loadUpdateTemplates, renderUpdateTemplate } from '../../src/domain/templates.ts';
import { REPO_ROOT } from '../support/harness.ts';

const templates = await loadUpdateTemplates(join(REPO_ROOT, 'templates'));

describe('update templates', () => {
  it('cover every status and the common scenarios', () => {
    const statuses = new Set([...templates.values()].map((t) => t.status));
    expect([...statuses].sort()).toEqual(['identified', 'investigating', 'monitoring', 'resolved']);
    for (const id of ['database-degradation', 'third-party-outage', 'deploy-rolled-back']) {
      expect(templates.has(id)).toBe(true);
    }
  });

  it('render every template when all its variables are given', () => {
    for (const template of templates.values()) {
      const vars = Object.fromEntries(template.variables.map((v) => [v, `<${v}>`]));
      const { message } = renderUpdateTemplate(templates, template.id, vars);
      for (const v of template.variables) expect(message).toContain(`<${v}>`);
      expect(message).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('refuse a missing variable, naming it', () => {
    const error = (() => {
      try {
        renderUpdateTemplate(templates, 'investigating', { symptom: 'errors' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      { field: 'template.vars.component', message: 'missing variable' },
      { field: 'template.vars.next_update', message: 'missing variable' },
    ]);
  });

  it('run no code: Liquid tags in variables come out as text', () => {
    const { message } = renderUpdateTemplate(templates, 'investigating', {
      symptom: '{{ 7 | times: 6 }}',
      component: '{% raw %}',
      next_update: '12:00 UTC',
    });
    expect(message).toContain('{{ 7 | times: 6 }}');
    expect(message).not.toContain('42');
  });
});
