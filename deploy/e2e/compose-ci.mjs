// @ts-check
// Turns `docker-compose -f compose.yaml -f compose.ci.yaml config` (stdin) into the file the e2e
// runs (stdout): an override cannot remove the base file's `ports:`, and Docker refuses port
// bindings on the host network. Refuses a service without host networking, because Compose
// would then create a bridge network, which CI must never do.
import { parse, stringify } from 'yaml';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const config = parse(text);
const services = Object.entries(config?.services ?? {});
if (services.length === 0) {
  console.error('compose-ci: no services in the input; pipe `docker-compose … config` into it');
  process.exit(1);
}
for (const [name, service] of services) {
  if (service.network_mode !== 'host') {
    console.error(
      `compose-ci: service ${name} is not on the host network; set network_mode: host in compose.ci.yaml`,
    );
    process.exit(1);
  }
  delete service.ports;
}
process.stdout.write(stringify(config));
