/** An error the user caused or can fix: the CLI prints its message on one line, no stack. */
export class UserError extends Error {
  constructor(
    message: string,
    /** Process exit code for the CLI: 1 usage/input, 2 partial failure. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
