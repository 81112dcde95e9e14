// Parses an AsyncAPI document with @asyncapi/parser (its own rules and the spec's), printing every error; exits non-zero on any.
import { Parser, fromFile } from '@asyncapi/parser';

const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, process.argv[2]).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of errors) {
  console.log(`${d.code}: ${d.message} at ${JSON.stringify(d.path)}`);
}
console.log(`${errors.length} errors; ${document ? 'parsed' : 'not parsed'}`);
process.exit(errors.length === 0 && document ? 0 : 1);
