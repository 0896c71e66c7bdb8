import type { Page } from "playwright-core";

/**
 * Records into `into` every request of `page` that fails or answers 400 or more (as "404 URL" or
 * "failed URL"), until the returned function is called: the console errors a user would see.
 */
export function recordFailedRequests(page: Page, into: string[]): () => void {
  const onResponse = (response: { status(): number; url(): string }) => {
    if (response.status() >= 400) into.push(`${response.status()} ${response.url()}`);
  };
  const onFailed = (request: { url(): string }) => into.push(`failed ${request.url()}`);
  page.on("response", onResponse);
  page.on("requestfailed", onFailed);
  return () => {
    page.off("response", onResponse);
    page.off("requestfailed", onFailed);
  };
}
