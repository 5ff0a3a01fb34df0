import type { FileResult, RunSummary } from '../results.ts';

/** A report format: told of each file as it finishes, then of the whole run. */
export interface Reporter {
  file(result: FileResult): void;
  end(summary: RunSummary): void;
}

export interface ReporterContext {
  write: (text: string) => void;
  /** Colour the report (the default reporter, on a terminal without NO_COLOR). */
  color: boolean;
}
