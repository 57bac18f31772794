import { Command, CommanderError } from 'commander';
import { ApiError, CLI_VERSION, KamiApiClient } from './api/kami-api-client';
import { reportBatch, showBatch } from './batches/batch-commands';
import { formatApiError } from './batches/report-format';
import { uploadBatch } from './batches/upload-command';
import { ExitCode, UsageError } from './cli/cli-errors';
import { processIo, type Io } from './cli/io';
import { loadConfig } from './config/cli-config';
import { setConfig, showConfig } from './config/config-commands';

const EXIT_CODES_HELP = `
Exit codes:
  0   done (for an upload: the batch completed)
  1   the batch failed
  2   usage or configuration error
  3   the API answered with an error or could not be reached
  70  unexpected internal error
  130 interrupted

Configuration: KAMI_API_KEY and KAMI_API_URL override the config file
($KAMI_CONFIG, default ~/.config/kami/config.json); the API URL defaults to http://127.0.0.1:3000.`;

/** A client for the configured API; a usage error when no API key is configured. */
function apiFor(io: Io): KamiApiClient {
  const config = loadConfig(io.env);
  if (!config.apiKey) {
    throw new UsageError('no API key: set KAMI_API_KEY or run `kami config set api-key KEY` (KEY - reads it from stdin)');
  }
  return new KamiApiClient({ baseUrl: config.apiUrl, apiKey: config.apiKey });
}

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('kami')
    .description('Kami supplier CLI: upload code batches and read their reports')
    .version(CLI_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .addHelpText('after', EXIT_CODES_HELP);

  const batches = program.command('batches').description('code batches in the vault');
  batches
    .command('upload')
    .description('upload a CSV file of codes to an offer, follow the ingest and print the report')
    .argument('<file>', 'the CSV file (streamed, any size)')
    .requiredOption('--offer <id>', 'the offer the codes are for')
    .option('--json-summary', 'print the final batch as one JSON object instead of the report')
    .action(async (file: string, options: { offer: string; jsonSummary?: boolean }) => {
      setExitCode(await uploadBatch({ file, offerId: options.offer, jsonSummary: Boolean(options.jsonSummary) }, { api: apiFor(io), io }));
    });
  batches
    .command('show')
    .description('print a batch: status, counts, refused lines per reason')
    .argument('<id>', 'the batch id')
    .option('--json', 'print the batch as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      setExitCode(await showBatch(id, { json: Boolean(options.json) }, { api: apiFor(io), io }));
    });
  batches
    .command('report')
    .description("print a batch's refused lines (line, reason, detail)")
    .argument('<id>', 'the batch id')
    .option('--all', 'every refused line, not only the first page')
    .action(async (id: string, options: { all?: boolean }) => {
      setExitCode(await reportBatch(id, { all: Boolean(options.all) }, { api: apiFor(io), io }));
    });

  const config = program.command('config').description('the API URL and API key this CLI uses');
  config
    .command('set')
    .description('save a setting in the config file (written with mode 0600)')
    .argument('<key>', 'api-url or api-key')
    .argument('<value>', 'the value; for api-key, - reads it from stdin')
    .action(async (key: string, value: string) => {
      setExitCode(await setConfig(key, value, io));
    });
  config
    .command('show')
    .description('print the settings in effect and where they come from (the key masked)')
    .action(() => {
      setExitCode(showConfig(io));
    });
  return program;
}

/** Runs the CLI with `argv` (as process.argv: node, script, args…) and resolves with the exit code. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end with 0; every other parse error is a usage error (already printed).
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof ApiError) {
      io.stderr.write(formatApiError(error));
      return ExitCode.Api;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Usage;
    }
    io.stderr.write(`error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Internal;
  }
}

if (require.main === module) {
  void run(process.argv).then((code) => {
    process.exitCode = code;
  });
}
