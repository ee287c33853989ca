import { ux } from '@oclif/core';
import { MbcliCommand } from '../lib/base-command';
import { checkServices, type HealthReport } from '../lib/connection/health-check';
import { renderTable } from '../lib/display/table';

/** A service's health; `problem` (why the check failed) is null when it answered. */
type HealthJson = Omit<HealthReport, 'problem'> & { readonly problem: string | null };

export default class Health extends MbcliCommand {
  static override summary = 'Check that the collector and query services can serve (grpc.health.v1).';
  static override description = 'Exits with code 1 when any service is not SERVING.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --collector_host collector.example:9000 --query_host query.example:8000 --json',
  ];

  async run(): Promise<HealthJson[]> {
    const { flags } = await this.parse(Health);
    const reports = (await checkServices(this.connectionSettings(flags))).map((report) => ({
      ...report,
      problem: report.problem ?? null,
    }));
    this.log(
      renderTable(
        ['SERVICE', 'HOST', 'STATUS'],
        reports.map((report) => [report.service, report.host, report.status]),
      ),
    );
    // On stderr with --json too (where oclif's logToStderr is silent): the JSON says which, this says why.
    for (const report of reports) if (report.problem) ux.stderr(`mbcli: ${report.problem}`);
    if (reports.some((report) => report.status !== 'SERVING')) {
      // exit() throws, so print the JSON here rather than through the return value.
      if (this.jsonEnabled()) this.logJson(reports);
      this.exit(1);
    }
    return reports;
  }
}
