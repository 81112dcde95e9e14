// Validates every keda.sh document of the given manifests against KEDA's own CRD schemas (@kubernetes-models/keda), printing each error; exits non-zero on any, or on a keda.sh kind it has no schema for.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1';

let errors = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS();
    if (!object || typeof object.apiVersion !== 'string' || !object.apiVersion.startsWith('keda.sh/')) {
      continue;
    }
    const name = `${file}: ${object.kind}/${object.metadata?.name}`;
    const Model = object.apiVersion === 'keda.sh/v1alpha1' ? keda[object.kind] : undefined;
    if (!Model) {
      console.log(`${name}: no schema for ${object.apiVersion} ${object.kind}`);
      errors++;
      continue;
    }
    try {
      new Model(object).validate();
      checked++;
    } catch (e) {
      console.log(`${name}: ${e.message}`);
      errors++;
    }
  }
}
console.log(`${checked} KEDA objects valid, ${errors} errors`);
process.exit(errors === 0 ? 0 : 1);
