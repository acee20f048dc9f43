/**
 * A site's other spelling: `www.site.com` ↔ `site.com`. A click's source keeps a Referer host's `www.` (API.md: "the
 * Referer host itself"), so what matches sources by name (routing rules' `sourceIn`, partner_segment's `bySource`)
 * looks for this twin as well, and a rule written either way names the same site.
 */
export const wwwTwin = (source: string): string => (source.startsWith('www.') ? source.slice(4) : `www.${source}`);
