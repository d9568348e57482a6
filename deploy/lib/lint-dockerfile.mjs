// @ts-check
// Dockerfile checks for the gitpaas images (hadolint is not available here): dockerfile-utils
// for syntax and semantics, plus the rules these images promise. Each problem is one line
// "<line>: <what to do>".
// CLI: node lint-dockerfile.mjs FILE...   (exits 1 when a file has a problem)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';
import { ValidationSeverity, validate } from 'dockerfile-utils';

/**
 * @param {string} text the Dockerfile
 * @returns {string[]} problems, empty when clean
 */
export function lintDockerfile(text) {
  /** @type {string[]} */
  const problems = [];
  const severities = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
  };
  for (const d of validate(text, severities)) problems.push(`${d.range.start.line + 1}: ${d.message}`);

  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const at = (/** @type {import('dockerfile-ast').Instruction} */ i) => i.getRange().start.line + 1;
  const args = (/** @type {import('dockerfile-ast').Instruction} */ i) => i.getArgumentsContent() ?? '';

  // legacy builder only here: BuildKit front-end pulls, heredocs and RUN --mount all fail
  for (const d of dockerfile.getDirectives()) {
    if (d.getName()?.toLowerCase() === 'syntax') {
      problems.push(
        `${d.getRange().start.line + 1}: remove the "# syntax=" directive: it pulls a BuildKit front-end`,
      );
    }
  }

  const [first, second] = instructions;
  const base = first?.getKeyword() === 'ARG' ? /^BASE=(\S+)$/.exec(args(first)) : null;
  if (!base) problems.push('1: start with ARG BASE=<image:tag> so CI can build from a local base image');
  else if (!/:[\w][\w.-]*$/.test(base[1] ?? '') || /:latest$/.test(base[1] ?? '')) {
    problems.push(`1: pin ARG BASE to a tag other than latest (e.g. node:24-bookworm-slim)`);
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's literal ${BASE}
  if (second?.getKeyword() !== 'FROM' || args(second) !== '${BASE}') {
    problems.push(`${second ? at(second) : 1}: the image must be FROM \${BASE}`);
  }

  /** @type {string | null} */
  let user = null;
  for (const i of instructions) {
    const keyword = i.getKeyword();
    const content = args(i);
    if (keyword === 'FROM' && /:latest\b|^[^:$]+$/.test(content)) {
      problems.push(`${at(i)}: pin the FROM image to a tag other than latest`);
    }
    if (keyword === 'ADD')
      problems.push(`${at(i)}: use COPY, not ADD (ADD also fetches URLs and unpacks archives)`);
    if (keyword === 'RUN' && /^RUN\s+--mount\b/i.test(i.getTextContent())) {
      problems.push(`${at(i)}: RUN --mount needs BuildKit; the legacy builder must work`);
    }
    if (keyword === 'RUN' && /<<-?\s*['"]?\w+/.test(content)) {
      problems.push(`${at(i)}: heredocs need a newer BuildKit front-end; use a script file or && chains`);
    }
    if (keyword === 'RUN' && /apt-get install/.test(content)) {
      if (!/--no-install-recommends/.test(content)) {
        problems.push(`${at(i)}: apt-get install --no-install-recommends keeps the image small`);
      }
      if (!/rm -rf \/var\/lib\/apt\/lists/.test(content)) {
        problems.push(`${at(i)}: remove /var/lib/apt/lists in the same RUN as apt-get install`);
      }
    }
    if (keyword === 'USER') user = content;
    if ((keyword === 'ENTRYPOINT' || keyword === 'CMD') && !content.trim().startsWith('[')) {
      problems.push(`${at(i)}: use the exec (JSON) form of ${keyword} so signals reach the process`);
    }
    if (keyword === 'ENTRYPOINT' && !/^\[\s*"\/usr\/bin\/tini"/.test(content)) {
      problems.push(`${at(i)}: run under tini (ENTRYPOINT ["/usr/bin/tini", "--", …]) to reap zombies`);
    }
  }
  if (user === null) problems.push('1: set USER to a non-root uid (e.g. USER 1000:1000)');
  else if (!/^[1-9]\d*(:\d+)?$/.test(user)) {
    problems.push(
      `USER ${user}: use a numeric non-root uid (Kubernetes runAsNonRoot cannot check a user name)`,
    );
  }
  return problems;
}

function main() {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const problems = lintDockerfile(readFileSync(file, 'utf8'));
    for (const p of problems) console.log(`${file}:${p}`);
    if (problems.length > 0) failed++;
  }
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
