import { SignetError } from '../i18n/signet-error.js';

/**
 * R12: the working-day calendar of the People's Republic of China. A day is a
 * working day when it is a weekday that is not a statutory holiday, or a
 * weekend day the State Council declared a make-up working day (调休上班).
 * Dates are Asia/Shanghai calendar days written YYYY-MM-DD.
 */
export interface CalendarYear {
  year: number;
  holidays: { name: string; from: string; to: string }[];
  makeUpWorkdays: string[];
  source: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The Shanghai calendar day an instant falls on (China has no daylight saving time: always UTC+8). */
export function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The last millisecond of a Shanghai calendar day, as an instant. */
export function endOfShanghaiDay(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - SHANGHAI_OFFSET_MS + DAY_MS - 1);
}

export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);
}

function isValidDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const parsed = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day;
}

function weekday(day: string): number {
  return new Date(`${day}T00:00:00.000Z`).getUTCDay();
}

/**
 * Checks a year's arrangement before it is stored: dates real and inside the
 * year, ranges in order, make-up days really on weekends and outside holidays.
 * A refusal names the field.
 */
export function validateCalendarYear(input: unknown): CalendarYear {
  const body = (input ?? {}) as Record<string, unknown>;
  const bad = (detail: string, field: string) => new SignetError('service.calendar-invalid', 400, { detail }, field);
  const year = Number(body.year);
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw bad('year must be an integer between 2000 and 2100', 'year');
  const inYear = (day: unknown, field: string): string => {
    if (typeof day !== 'string' || !isValidDay(day)) throw bad(`${String(day)} is not a date YYYY-MM-DD`, field);
    if (!day.startsWith(`${year}-`)) throw bad(`${day} is not in ${year}`, field);
    return day;
  };
  if (!Array.isArray(body.holidays)) throw bad('holidays must be a list of { name, from, to }', 'holidays');
  const holidays = body.holidays.map((h: unknown, i: number) => {
    const entry = (h ?? {}) as Record<string, unknown>;
    const name = typeof entry.name === 'string' && entry.name.trim() ? entry.name.trim() : null;
    if (!name) throw bad(`holiday ${i + 1} has no name`, `holidays[${i}].name`);
    const from = inYear(entry.from, `holidays[${i}].from`);
    const to = inYear(entry.to, `holidays[${i}].to`);
    if (to < from) throw bad(`holiday ${name} ends before it starts`, `holidays[${i}].to`);
    return { name, from, to };
  });
  if (!Array.isArray(body.makeUpWorkdays)) throw bad('makeUpWorkdays must be a list of dates', 'makeUpWorkdays');
  const makeUpWorkdays = body.makeUpWorkdays.map((d: unknown, i: number) => {
    const day = inYear(d, `makeUpWorkdays[${i}]`);
    if (weekday(day) !== 0 && weekday(day) !== 6) throw bad(`${day} is a weekday already, not a make-up working day`, `makeUpWorkdays[${i}]`);
    if (holidays.some((h) => h.from <= day && day <= h.to)) throw bad(`${day} is inside a holiday`, `makeUpWorkdays[${i}]`);
    return day;
  });
  const source = typeof body.source === 'string' && body.source.trim() ? body.source.trim() : 'operator';
  return { year, holidays, makeUpWorkdays, source };
}

/** The calendar over the years it knows; asking about any other year is refused, never guessed. */
export class WorkingDayCalendar {
  private readonly years = new Map<number, { holidays: Set<string>; makeUp: Set<string> }>();

  constructor(years: readonly CalendarYear[]) {
    for (const y of years) {
      const holidays = new Set<string>();
      for (const h of y.holidays) for (let d = h.from; d <= h.to; d = nextDay(d)) holidays.add(d);
      this.years.set(y.year, { holidays, makeUp: new Set(y.makeUpWorkdays) });
    }
  }

  knownYears(): number[] {
    return [...this.years.keys()].sort();
  }

  isWorkingDay(day: string): boolean {
    const year = Number(day.slice(0, 4));
    const known = this.years.get(year);
    if (!known) throw new SignetError('service.calendar-unknown-year', 409, { year, known: this.knownYears().join(', ') || '-' }, 'receivedAt');
    if (known.makeUp.has(day)) return true;
    if (known.holidays.has(day)) return false;
    const w = weekday(day);
    return w !== 0 && w !== 6;
  }

  /** The `count`-th working day after `day` (not counting `day` itself). */
  workingDaysAfter(day: string, count: number): string {
    let current = day;
    // Refuse up front when the day itself is in an unknown year, even if it would not be counted.
    this.isWorkingDay(day);
    for (let found = 0; found < count; ) {
      current = nextDay(current);
      if (this.isWorkingDay(current)) found += 1;
    }
    return current;
  }

  /**
   * R12: a complaint received at `receivedAt` must be answered by the end
   * (Asia/Shanghai) of the 7th working day after the day it was received.
   */
  responseDeadline(receivedAt: Date, workingDays = 7): { receivedDay: string; dueDay: string; dueAt: Date } {
    const receivedDay = shanghaiDay(receivedAt);
    const dueDay = this.workingDaysAfter(receivedDay, workingDays);
    return { receivedDay, dueDay, dueAt: endOfShanghaiDay(dueDay) };
  }
}
