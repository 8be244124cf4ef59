/** One problem with a policy document, as the REST API reports it (issue 5: 400 with path and problem). */
export interface PolicyError {
  /** Where in the document: `rules[3].when`, `rules[0].effect.review.timeoutSeconds`, `(root)`. */
  readonly path: string;
  readonly message: string;
}
