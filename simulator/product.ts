// The board the simulated line builds: a small controller (MCU, buck and linear regulators,
// EEPROM, USB-C) with 31 reference designators and 145 pads. Part numbers and suppliers are
// invented; packages, reel sizes and tolerances are the ordinary ones of such a board.

/** A supplier on the approved vendor list of a part, with its share of the reels. */
export interface SupplierShare {
  readonly supplier: string;
  /** Lot code prefix of this supplier, so lots read like the supplier's labels. */
  readonly lotPrefix: string;
  readonly share: number;
}

/** A purchased part: what feeds one feeder of the pick-and-place. */
export interface PartSpec {
  readonly part: string;
  readonly description: string;
  /** Components on a full reel (or tray), pieces. */
  readonly reelQuantity: number;
  readonly suppliers: readonly SupplierShare[];
  /** Feeder slot on the pick-and-place. */
  readonly feeder: string;
}

/** What ICT measures on a passive: the nominal value, its unit and the test limits. */
export interface IctCheck {
  readonly quantity: "resistance" | "capacitance" | "inductance";
  readonly nominal: number;
  readonly unit: string;
  /** Relative tolerance of the part itself, e.g. 0.01 for 1 %. */
  readonly partTolerance: number;
  /** Relative test limit around nominal (wider than the part tolerance by the guard band). */
  readonly limit: number;
}

/** A placed component: one reference designator of the board. */
export interface ComponentSpec {
  readonly ref: string;
  readonly part: string;
  readonly packageName: string;
  /** Pad names; a pad's SPI ref is `<ref>.<pad>`. */
  readonly pads: readonly string[];
  /** Pad group for aggregating SPI and AOI results, e.g. fine_pitch. */
  readonly padGroup: string;
  /** Baseline per-board probabilities of the defects the joint can show. */
  readonly baseline: {
    readonly insufficient: number;
    readonly bridge: number;
    readonly tombstone: number;
    readonly missing: number;
    readonly misalignment: number;
  };
  readonly ict?: IctCheck;
}

function numbered(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(index + 1));
}

const KESTREL: SupplierShare = { supplier: "Kestrel Passives", lotPrefix: "K", share: 0.6 };
const NORDEN: SupplierShare = { supplier: "Norden Components", lotPrefix: "N", share: 0.4 };
const single = (supplier: string, lotPrefix: string): SupplierShare[] => [
  { supplier, lotPrefix, share: 1 },
];

/** The parts on the board, keyed by part number. */
export const PARTS: readonly PartSpec[] = [
  {
    part: "410-0048-MCU",
    description: "MCU, LQFP-48, 0.5 mm pitch",
    reelQuantity: 250,
    suppliers: single("Aster Semiconductor", "AS"),
    feeder: "F01",
  },
  {
    part: "410-0016-BUCK",
    description: "Buck regulator 3.3 V, QFN-16 3x3 with exposed pad",
    reelQuantity: 500,
    suppliers: single("Volta Micro", "VM"),
    feeder: "F02",
  },
  {
    part: "410-0005-LDO",
    description: "LDO 1.8 V, SOT-23-5",
    reelQuantity: 3000,
    suppliers: single("Volta Micro", "VM"),
    feeder: "F03",
  },
  {
    part: "410-0008-EEP",
    description: "EEPROM 64 kbit, SOIC-8",
    reelQuantity: 2500,
    suppliers: single("Aster Semiconductor", "AS"),
    feeder: "F04",
  },
  {
    part: "420-0003-NMOS",
    description: "N-MOSFET 30 V, SOT-23",
    reelQuantity: 3000,
    suppliers: single("Volta Micro", "VM"),
    feeder: "F05",
  },
  {
    part: "430-0603-LEDG",
    description: "LED green, 0603",
    reelQuantity: 4000,
    suppliers: single("Lumen Opto", "LO"),
    feeder: "F06",
  },
  {
    part: "430-0323-TVS",
    description: "TVS diode 5 V, SOD-323",
    reelQuantity: 3000,
    suppliers: single("Volta Micro", "VM"),
    feeder: "F07",
  },
  {
    part: "440-3225-16M",
    description: "Crystal 16 MHz, 3225",
    reelQuantity: 1000,
    suppliers: single("Quartzline", "QL"),
    feeder: "F08",
  },
  {
    part: "450-4040-4U7",
    description: "Power inductor 4.7 uH, 4x4 mm",
    reelQuantity: 1000,
    suppliers: single("Halden Magnetics", "HM"),
    feeder: "F09",
  },
  {
    part: "460-USBC-12",
    description: "USB-C receptacle, SMT",
    reelQuantity: 800,
    suppliers: single("Pioneer Connect", "PC"),
    feeder: "F10",
  },
  {
    part: "470-0603-1A",
    description: "Fuse 1 A, 0603",
    reelQuantity: 5000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F11",
  },
  {
    part: "100-0402-10K",
    description: "Resistor 10 kOhm 1 %, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F12",
  },
  {
    part: "100-0402-4K7",
    description: "Resistor 4.7 kOhm 1 %, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F13",
  },
  {
    part: "100-0402-1K0",
    description: "Resistor 1 kOhm 1 %, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F14",
  },
  {
    part: "100-0402-22R",
    description: "Resistor 22 Ohm 1 %, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F15",
  },
  {
    part: "200-0402-100N",
    description: "Capacitor 100 nF X7R 16 V, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F16",
  },
  {
    part: "200-0603-10U",
    description: "Capacitor 10 uF X5R 10 V, 0603",
    reelQuantity: 4000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F17",
  },
  {
    part: "200-0402-1U0",
    description: "Capacitor 1 uF X5R 10 V, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F18",
  },
  {
    part: "200-0402-18P",
    description: "Capacitor 18 pF C0G 50 V, 0402",
    reelQuantity: 10000,
    suppliers: [KESTREL, NORDEN],
    feeder: "F19",
  },
];

const IC = {
  insufficient: 0.0002,
  bridge: 0,
  tombstone: 0,
  missing: 0.00005,
  misalignment: 0.0001,
};
const CHIP = {
  insufficient: 0.0002,
  bridge: 0,
  tombstone: 0.0001,
  missing: 0.00005,
  misalignment: 0.00005,
};

function resistor(ref: string, part: string, ohms: number): ComponentSpec {
  return {
    ref,
    part,
    packageName: "0402",
    pads: numbered(2),
    padGroup: "chip_0402",
    baseline: CHIP,
    ict: { quantity: "resistance", nominal: ohms, unit: "ohm", partTolerance: 0.01, limit: 0.05 },
  };
}

function capacitor(
  ref: string,
  part: string,
  microfarads: number,
  packageName: "0402" | "0603",
): ComponentSpec {
  return {
    ref,
    part,
    packageName,
    pads: numbered(2),
    padGroup: packageName === "0402" ? "chip_0402" : "chip_0603",
    baseline: CHIP,
    ict: {
      quantity: "capacitance",
      nominal: microfarads,
      unit: "uF",
      partTolerance: 0.1,
      limit: 0.2,
    },
  };
}

/** Every reference designator of the board, in placement order. */
export const COMPONENTS: readonly ComponentSpec[] = [
  {
    ref: "U1",
    part: "410-0048-MCU",
    packageName: "LQFP-48",
    pads: numbered(48),
    padGroup: "fine_pitch",
    baseline: { ...IC, insufficient: 0.0015, bridge: 0.002, misalignment: 0.0003 },
  },
  {
    ref: "U2",
    part: "410-0016-BUCK",
    packageName: "QFN-16",
    pads: [...numbered(16), "EP"],
    padGroup: "qfn",
    baseline: { ...IC, insufficient: 0.001, bridge: 0.0005, misalignment: 0.0002 },
  },
  {
    ref: "U3",
    part: "410-0005-LDO",
    packageName: "SOT-23-5",
    pads: numbered(5),
    padGroup: "sot",
    baseline: IC,
  },
  {
    ref: "U4",
    part: "410-0008-EEP",
    packageName: "SOIC-8",
    pads: numbered(8),
    padGroup: "soic",
    baseline: { ...IC, bridge: 0.0003 },
  },
  {
    ref: "Q1",
    part: "420-0003-NMOS",
    packageName: "SOT-23",
    pads: numbered(3),
    padGroup: "sot",
    baseline: IC,
  },
  {
    ref: "D1",
    part: "430-0603-LEDG",
    packageName: "0603",
    pads: ["A", "K"],
    padGroup: "chip_0603",
    baseline: CHIP,
  },
  {
    ref: "D2",
    part: "430-0323-TVS",
    packageName: "SOD-323",
    pads: ["A", "K"],
    padGroup: "diode",
    baseline: IC,
  },
  {
    ref: "Y1",
    part: "440-3225-16M",
    packageName: "3225",
    pads: numbered(4),
    padGroup: "crystal",
    baseline: IC,
  },
  {
    ref: "L1",
    part: "450-4040-4U7",
    packageName: "4040",
    pads: numbered(2),
    padGroup: "power",
    baseline: IC,
    ict: {
      quantity: "inductance",
      nominal: 4.7,
      unit: "uH",
      partTolerance: 0.2,
      limit: 0.3,
    },
  },
  {
    ref: "J1",
    part: "460-USBC-12",
    packageName: "USB-C",
    pads: [...numbered(12)],
    padGroup: "connector",
    baseline: { ...IC, insufficient: 0.0004, bridge: 0.0002 },
  },
  {
    ref: "F1",
    part: "470-0603-1A",
    packageName: "0603",
    pads: numbered(2),
    padGroup: "chip_0603",
    baseline: CHIP,
  },
  resistor("R1", "100-0402-10K", 10_000),
  resistor("R2", "100-0402-10K", 10_000),
  resistor("R3", "100-0402-10K", 10_000),
  resistor("R4", "100-0402-10K", 10_000),
  resistor("R5", "100-0402-4K7", 4_700),
  resistor("R6", "100-0402-4K7", 4_700),
  resistor("R7", "100-0402-1K0", 1_000),
  resistor("R8", "100-0402-1K0", 1_000),
  resistor("R9", "100-0402-22R", 22),
  resistor("R10", "100-0402-22R", 22),
  capacitor("C1", "200-0402-100N", 0.1, "0402"),
  capacitor("C2", "200-0402-100N", 0.1, "0402"),
  capacitor("C3", "200-0603-10U", 10, "0603"),
  capacitor("C4", "200-0603-10U", 10, "0603"),
  capacitor("C5", "200-0402-100N", 0.1, "0402"),
  capacitor("C6", "200-0402-100N", 0.1, "0402"),
  capacitor("C7", "200-0402-100N", 0.1, "0402"),
  capacitor("C8", "200-0402-1U0", 1, "0402"),
  capacitor("C9", "200-0402-1U0", 1, "0402"),
  {
    ref: "C10",
    part: "200-0402-18P",
    packageName: "0402",
    pads: numbered(2),
    padGroup: "chip_0402",
    baseline: CHIP,
  },
];

/** The product as the line knows it: name, programs and firmware. */
export const PRODUCT = {
  /** Product tag on unit and SPI records. */
  name: "TBX-CTRL-C",
  /** Test programs by kind. */
  programs: { aoi: "TBX-CTRL-C_AOI_v12", ict: "TBX-CTRL-C_ICT_r4", fct: "TBX-CTRL-C_FCT_2.3" },
  /** Firmware flashed at FCT. */
  firmware: "3.2.1",
  /** Firmware a few boards come out with when the programmer falls back to an old image. */
  staleFirmware: "3.1.9",
  /** Stencil thickness, micrometres: the nominal paste height. */
  stencilUm: 120,
  components: COMPONENTS,
  parts: PARTS,
} as const;

/** Pad groups of the board: group name → reference designators in it. */
export const PAD_GROUPS: Readonly<Record<string, readonly string[]>> = (() => {
  const groups: Record<string, string[]> = {};
  for (const component of COMPONENTS) {
    const refs = groups[component.padGroup] ?? [];
    refs.push(component.ref);
    groups[component.padGroup] = refs;
  }
  return groups;
})();

export function partSpec(part: string): PartSpec {
  const spec = PARTS.find((candidate) => candidate.part === part);
  if (spec === undefined) throw new RangeError(`unknown part ${part}`);
  return spec;
}
