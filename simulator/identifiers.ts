// Identifiers as a plant prints them: serials for the 2D DataMatrix on each board, GS1 SSCC
// for pallets, MAC addresses for the firmware record.

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Two check characters by ISO/IEC 7064 MOD 1271-36 (alphanumeric, pure system). */
export function mod1271Check(text: string): string {
  const modulus = 1271;
  const radix = 36;
  let sum = 0;
  for (const character of text.toUpperCase()) {
    const value = ALPHANUMERIC.indexOf(character);
    if (value < 0) throw new RangeError(`not alphanumeric: ${text}`);
    sum = ((sum + value) * radix) % modulus;
  }
  sum = (sum * radix) % modulus;
  const check = (modulus + 1 - sum) % modulus;
  return `${ALPHANUMERIC[Math.floor(check / radix)]}${ALPHANUMERIC[check % radix]}`;
}

/** True when the last two characters are the MOD 1271-36 check of the rest. */
export function hasValidCheck(serial: string): boolean {
  return mod1271Check(serial.slice(0, -2)) === serial.slice(-2);
}

/** GS1 mod-10 check digit of a digit string (GTIN, SSCC). */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    const digit = Number(digits[digits.length - 1 - index]);
    sum += index % 2 === 0 ? digit * 3 : digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Letter of a line in serials and container ids: X, Y, Z, then A, B, ... */
export function lineLetter(lineIndex: number): string {
  return lineIndex < 3
    ? String.fromCharCode(88 + lineIndex)
    : String.fromCharCode(65 + lineIndex - 3);
}

/** YYMMDD of an epoch-ms time, UTC. */
export function yymmdd(t: number): string {
  return new Date(t).toISOString().slice(2, 10).replaceAll("-", "");
}

const GTIN = `0401234512345${gs1CheckDigit("0401234512345")}`;

/**
 * The serial of the `sequence`-th board of the day on a line: "TB" + line letter + YYMMDD +
 * 4-digit sequence + 2 check characters (TBX2611270001 + check), or as a GS1 element string
 * with the product's GTIN (01) and that serial without check characters (21).
 */
export function boardSerial(
  format: "datamatrix" | "gs1",
  lineIndex: number,
  t: number,
  sequence: number,
): string {
  const body = `TB${lineLetter(lineIndex)}${yymmdd(t)}${String(sequence).padStart(4, "0")}`;
  if (format === "gs1") return `(01)${GTIN}(21)${body}`;
  return `${body}${mod1271Check(body)}`;
}

/** A box label: "BX" + line letter + YYMMDD + 4-digit sequence. */
export function boxId(lineIndex: number, t: number, sequence: number): string {
  return `BX${lineLetter(lineIndex)}${yymmdd(t)}${String(sequence).padStart(4, "0")}`;
}

/** A pallet's SSCC (18 digits: extension 3, company prefix 4012345, serial reference, check). */
export function palletSscc(siteIndex: number, lineIndex: number, sequence: number): string {
  const reference = `${siteIndex}${lineIndex}${String(sequence).padStart(7, "0")}`;
  const body = `34012345${reference}`;
  return `${body}${gs1CheckDigit(body)}`;
}

/** A shipment id: "SH" + line letter + YYMMDD + 2-digit sequence. */
export function shipmentId(lineIndex: number, t: number, sequence: number): string {
  return `SH${lineLetter(lineIndex)}${yymmdd(t)}${String(sequence).padStart(2, "0")}`;
}

/** A locally administered MAC address, unique per line and board. */
export function macAddress(lineIndex: number, sequence: number): string {
  const bytes = [
    0x02,
    0x54,
    lineIndex & 0xff,
    (sequence >> 16) & 0xff,
    (sequence >> 8) & 0xff,
    sequence & 0xff,
  ];
  return bytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":");
}
