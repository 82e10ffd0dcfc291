/**
 * Request cleaning for Anthropic-compatible third parties: drop fields they reject and fold
 * Claude Code's mid-conversation `role: "system"` messages into user turns.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { BodyCleaner } from "../anthropic/request.ts";
import { foldSystemMessages } from "../shared/system_messages.ts";

/** The cleaner for a provider config, or undefined when it cleans nothing. */
export function cleanerFor(config: ProviderConfig): BodyCleaner | undefined {
  const fields = config.stripFields ?? [];
  const fold = config.systemMessages === "to-user";
  if (!fields.length && !fold) return undefined;
  return (body) => {
    let changed = false;
    for (const field of fields) {
      if (field in body) {
        delete body[field];
        changed = true;
      }
    }
    if (fold) {
      const folded = foldSystemMessages(body.messages);
      if (folded) {
        body.messages = folded;
        changed = true;
      }
    }
    return changed;
  };
}
