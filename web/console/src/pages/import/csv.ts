/** The little CSV the wizard needs: read the uploaded sheet's lines (so a bad row can be shown and downloaded
 * as it was written) and write the bad rows back out for the manager to fix and upload again. */

/** Records of a CSV text (RFC 4180: quoted cells, doubled quotes, CRLF or LF), a UTF-8 BOM dropped.
 * Record i is the sheet's line i + 1, which is how the API's report counts lines. */
export function parseCsv(text: string): string[][] {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      record.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = "";
    } else {
      cell += c;
    }
  }
  if (cell !== "" || record.length) {
    record.push(cell);
    records.push(record);
  }
  return records;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) || /^\s|\s$/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** CSV as Excel opens it in China without garbling: UTF-8 with a BOM, CRLF line ends. */
export function toCsv(rows: string[][]): string {
  return "\ufeff" + rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}
