import type { Policy } from '../../config/content.ts';
import type { FieldProblem } from '../errors.ts';
import type { BusinessImpact, Roles, Severity } from '../types.ts';

/**
 * What the policy requires an incident of this severity to carry (SEV1/SEV2 by default: a
 * commander, a communications lead and a business-impact summary). Returns one problem per gap.
 */
export function missingRequirements(
  policy: Policy,
  severity: Severity,
  roles: Roles,
  businessImpact: BusinessImpact | null,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const requirement of policy.severities[severity].requires) {
    if (requirement === 'commander' && !roles.commander?.trim()) {
      problems.push({
        field: 'roles.commander',
        message: `${severity} needs an incident commander`,
      });
    }
    if (requirement === 'communications' && !roles.communications?.trim()) {
      problems.push({
        field: 'roles.communications',
        message: `${severity} needs a communications lead`,
      });
    }
    if (requirement === 'business_impact' && !businessImpact?.summary?.trim()) {
      problems.push({
        field: 'business_impact.summary',
        message: `${severity} needs a business-impact summary`,
      });
    }
  }
  return problems;
}
