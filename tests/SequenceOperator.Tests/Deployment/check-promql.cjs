// Parses PromQL expressions with Prometheus' own grammar (@prometheus-io/lezer-promql, installed into
// .tools/promql by scripts/install-helm.sh). Reads a JSON array of expressions on stdin and prints a JSON array
// of {expr, at} for each one that does not parse (at: the offset of the first syntax error).
// Usage: node check-promql.cjs <repo root>
const path = require('path');
const { parser } = require(path.join(process.argv[2], '.tools', 'promql', 'node_modules', '@prometheus-io', 'lezer-promql'));

const expressions = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const failures = [];
for (const expr of expressions) {
  let at = null;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError && at === null) {
        at = node.from;
      }
    },
  });
  if (at !== null) {
    failures.push({ expr, at });
  }
}
process.stdout.write(JSON.stringify(failures));
