// Form controls of the brief editor: vocabulary pickers with one-line descriptions, plain enum
// pickers, sliders, numbers and text. Each shows the server's issue for its field, if any.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { VocabEntry } from './api.js';

/** A labelled row with the issue (from the brief's own schema) underneath. */
export function Field(props: { label: string; path: string; issue?: string; children: ReactNode }) {
  return (
    <div
      className={`field${props.issue === undefined ? '' : ' field-invalid'}`}
      data-path={props.path}
    >
      <label className="field-label">{props.label}</label>
      <div className="field-control">{props.children}</div>
      {props.issue !== undefined && (
        <div className="field-issue" role="alert">
          {props.issue}
        </div>
      )}
    </div>
  );
}

/** Picks one entry of a vocabulary; every option shows its one-line effect. */
export function VocabPicker(props: {
  entries: VocabEntry[];
  value: string | undefined;
  onChange: (id: string | undefined) => void;
  placeholder?: string;
  testId?: string;
}) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const chosen = props.entries.find((entry) => entry.id === props.value);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (box.current !== null && !box.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    box.current?.querySelector('.picker-selected')?.scrollIntoView({ block: 'nearest' });
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  return (
    <div className="picker" ref={box}>
      <button
        type="button"
        className="picker-button"
        data-testid={props.testId}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        onKeyDown={(event) => event.key === 'Escape' && setOpen(false)}
      >
        <span>{chosen?.name ?? props.value ?? props.placeholder ?? 'None'}</span>
        <span className="picker-caret">▾</span>
      </button>
      {chosen !== undefined && <div className="picker-effect">{chosen.effect}</div>}
      {open && (
        <ul className="picker-list" role="listbox">
          <li
            role="option"
            aria-selected={props.value === undefined}
            className="picker-option picker-none"
            onClick={() => {
              props.onChange(undefined);
              setOpen(false);
            }}
          >
            <span className="picker-name">{props.placeholder ?? 'None'}</span>
          </li>
          {props.entries.map((entry) => (
            <li
              key={entry.id}
              role="option"
              aria-selected={entry.id === props.value}
              className={`picker-option${entry.id === props.value ? ' picker-selected' : ''}`}
              onClick={() => {
                props.onChange(entry.id);
                setOpen(false);
              }}
            >
              <span className="picker-name">{entry.name}</span>
              <span className="picker-line">{entry.effect}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Several entries of a vocabulary as toggle chips (imperfections). */
export function VocabChips(props: {
  entries: VocabEntry[];
  value: string[];
  onChange: (ids: string[]) => void;
}) {
  return (
    <div className="chips">
      {props.entries.map((entry) => {
        const on = props.value.includes(entry.id);
        return (
          <button
            type="button"
            key={entry.id}
            title={entry.effect}
            className={`chip${on ? ' chip-on' : ''}`}
            onClick={() =>
              props.onChange(
                on ? props.value.filter((id) => id !== entry.id) : [...props.value, entry.id],
              )
            }
          >
            {entry.name}
          </button>
        );
      })}
    </div>
  );
}

/** A plain choice among the schema's enum values. */
export function EnumSelect(props: {
  values: string[];
  value: string | undefined;
  onChange: (value: string | undefined) => void;
}) {
  return (
    <select
      className="select"
      value={props.value ?? ''}
      onChange={(event) =>
        props.onChange(event.target.value === '' ? undefined : event.target.value)
      }
    >
      <option value="">—</option>
      {props.values.map((value) => (
        <option key={value} value={value}>
          {value.replace(/-/g, ' ')}
        </option>
      ))}
    </select>
  );
}

/** A slider with its number; an unset value shows the slider dimmed. */
export function Slider(props: {
  min: number;
  max: number;
  step: number;
  value: number | undefined;
  onChange: (value: number | undefined) => void;
  unit?: string;
}) {
  const shown = props.value ?? (props.min + props.max) / 2;
  return (
    <div className={`slider${props.value === undefined ? ' slider-unset' : ''}`}>
      <input
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={shown}
        onChange={(event) => props.onChange(Number(event.target.value))}
      />
      <span className="slider-value" onDoubleClick={() => props.onChange(undefined)}>
        {props.value === undefined ? 'auto' : `${props.value}${props.unit ?? ''}`}
      </span>
    </div>
  );
}

/** A number typed in; anything typed goes to the server, which names the field if it is wrong. */
export function NumberInput(props: {
  value: number | undefined;
  onChange: (value: number | undefined) => void;
  step?: number;
  testId?: string;
}) {
  return (
    <input
      className="input input-number"
      type="number"
      data-testid={props.testId}
      step={props.step ?? 'any'}
      value={props.value ?? ''}
      onChange={(event) =>
        props.onChange(event.target.value === '' ? undefined : Number(event.target.value))
      }
    />
  );
}

export function TextInput(props: {
  value: string | undefined;
  onChange: (value: string | undefined) => void;
  multiline?: boolean;
  placeholder?: string;
  testId?: string;
}) {
  const common = {
    className: props.multiline === true ? 'input input-area' : 'input',
    value: props.value ?? '',
    placeholder: props.placeholder,
    'data-testid': props.testId,
  };
  return props.multiline === true ? (
    <textarea
      {...common}
      rows={3}
      onChange={(event) => props.onChange(event.target.value || undefined)}
    />
  ) : (
    <input
      {...common}
      type="text"
      onChange={(event) => props.onChange(event.target.value || undefined)}
    />
  );
}
