/**
 * Select lists that type themselves. A repository writes its column list once, as SQL text, and the
 * row type is read from that text, so the two cannot drift and the SQL stays exactly as written
 * (the delivery worker's prepared statements are named after their text):
 *
 *   const COLUMNS = selectList<SubscriberRow>()(`id, type, email`);
 *   db.query<Selected<SubscriberRow, typeof COLUMNS>>(`SELECT ${COLUMNS} FROM subscriber`)
 *
 * Only plain column names, separated by commas (spaces and line breaks allowed); a name that is
 * not a column of the table does not compile.
 */

type Trim<Text extends string> = Text extends ` ${infer Rest}` | `\n${infer Rest}`
  ? Trim<Rest>
  : Text extends `${infer Rest} ` | `${infer Rest}\n`
    ? Trim<Rest>
    : Text;

/** The names in a select list such as `'id, type,\n  email'`. */
type ColumnNames<List extends string> = List extends `${infer Head},${infer Tail}` ? Trim<Head> | ColumnNames<Tail> : Trim<List>;

/** The row that `SELECT <List> FROM <table of Row>` gives. */
export type Selected<Row, List extends string> = Pick<Row, ColumnNames<List> & keyof Row>;

/** Checks a select list against the table's row type and keeps its exact text (and literal type). */
export function selectList<Row>() {
  return <const List extends string>(list: List & ([ColumnNames<List>] extends [keyof Row] ? List : never)): List => list;
}
