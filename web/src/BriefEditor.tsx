// The brief editor, pillar by pillar. Every change goes to the server, which compiles it or names
// the fields that are wrong; nothing about the brief's rules is repeated here.
import { useState } from 'react';
import { enumAt, getAt, setAt, type Issue, type Json, type Vocabulary } from './api.js';
import {
  EnumSelect,
  Field,
  NumberInput,
  Slider,
  TextInput,
  VocabChips,
  VocabPicker,
} from './Fields.js';

const pillars = [
  { id: 'subject', label: 'Subject', sections: ['subject'] },
  { id: 'expression', label: 'Expression', sections: ['expression'] },
  { id: 'posture', label: 'Posture', sections: ['posture'] },
  { id: 'light', label: 'Light & camera', sections: ['light', 'camera', 'atmosphere'] },
  { id: 'aesthetic', label: 'Aesthetic', sections: ['aesthetic'] },
  { id: 'authenticity', label: 'Authenticity', sections: ['authenticity'] },
  { id: 'references', label: 'References', sections: ['references'] },
] as const;

type PillarId = (typeof pillars)[number]['id'];

export function BriefEditor(props: {
  brief: Json;
  vocabulary: Vocabulary;
  issues: Issue[];
  onChange: (brief: Json) => void;
  pillar?: PillarId;
}) {
  const [pillar, setPillar] = useState<PillarId>(props.pillar ?? 'subject');
  const { brief, vocabulary } = props;
  const issueAt = (path: string) => props.issues.find((issue) => issue.path === path)?.message;
  const set = (path: string, value: unknown) => props.onChange(setAt(brief, path, value));
  const str = (path: string) => {
    const value = getAt(brief, path);
    return typeof value === 'string' ? value : undefined;
  };
  const num = (path: string) => {
    const value = getAt(brief, path);
    return typeof value === 'number' ? value : undefined;
  };
  const vocab = (path: string, label: string, placeholder = 'None') => (
    <Field label={label} path={path} issue={issueAt(path)}>
      <VocabPicker
        entries={vocabulary.fields[path] ?? []}
        value={str(path)}
        placeholder={placeholder}
        onChange={(id) => set(path, id)}
        testId={`picker-${path}`}
      />
    </Field>
  );
  const choice = (path: string, label: string) => (
    <Field label={label} path={path} issue={issueAt(path)}>
      <EnumSelect
        values={enumAt(vocabulary.schema, path)}
        value={str(path)}
        onChange={(v) => set(path, v)}
      />
    </Field>
  );
  const slider = (
    path: string,
    label: string,
    min: number,
    max: number,
    step: number,
    unit?: string,
  ) => (
    <Field label={label} path={path} issue={issueAt(path)}>
      <Slider
        min={min}
        max={max}
        step={step}
        value={num(path)}
        onChange={(v) => set(path, v)}
        {...(unit === undefined ? {} : { unit })}
      />
    </Field>
  );
  const number = (path: string, label: string) => (
    <Field label={label} path={path} issue={issueAt(path)}>
      <NumberInput value={num(path)} onChange={(v) => set(path, v)} testId={`number-${path}`} />
    </Field>
  );
  const text = (path: string, label: string, multiline = false, placeholder?: string) => (
    <Field label={label} path={path} issue={issueAt(path)}>
      <TextInput
        value={str(path)}
        multiline={multiline}
        onChange={(v) => set(path, v)}
        testId={`text-${path}`}
        {...(placeholder === undefined ? {} : { placeholder })}
      />
    </Field>
  );

  const hasIssue = (sections: readonly string[]) =>
    props.issues.some((issue) => sections.some((section) => issue.path.startsWith(section)));
  const references = Array.isArray(brief['references']) ? (brief['references'] as Json[]) : [];

  return (
    <div className="editor">
      <nav className="pillar-tabs" role="tablist">
        {pillars.map((p) => (
          <button
            key={p.id}
            type="button"
            role="tab"
            aria-selected={pillar === p.id}
            className={`pillar-tab pillar-${p.id}${pillar === p.id ? ' pillar-tab-on' : ''}`}
            onClick={() => setPillar(p.id)}
          >
            {p.label}
            {hasIssue(p.sections) && <span className="tab-dot" aria-label="has issues" />}
          </button>
        ))}
      </nav>
      <div className="pillar-body">
        {pillar === 'subject' && (
          <>
            {text('title', 'Title')}
            {text('subject.description', 'Who', true, 'age, features, hair, distinguishing marks')}
            {number('subject.age', 'Age')}
            {text('subject.wardrobe', 'Wardrobe')}
            {text('subject.setting', 'Setting')}
          </>
        )}
        {pillar === 'expression' && (
          <>
            {vocab('expression.name', 'Expression', 'Neutral (default)')}
            {slider('expression.intensity', 'Intensity', 0, 1, 0.05)}
            {slider('expression.lipCornerLift', 'Lip corners', -1, 1, 0.05)}
            {slider('expression.browRaise', 'Brow raise', 0, 1, 0.05)}
            {slider('expression.asymmetry', 'Asymmetry', 0, 1, 0.05)}
            {choice('expression.gaze', 'Gaze')}
          </>
        )}
        {pillar === 'posture' && (
          <>
            {vocab('posture.pose', 'Pose')}
            {choice('posture.stance', 'Stance')}
            {slider('posture.shoulderAngle', 'Shoulders', 0, 90, 1, '°')}
            {slider('posture.headTilt', 'Head tilt', -30, 30, 1, '°')}
            {slider('posture.headTurn', 'Head turn', -90, 90, 1, '°')}
            {choice('posture.hands', 'Hands')}
          </>
        )}
        {pillar === 'light' && (
          <>
            <h3 className="group">Light</h3>
            {vocab('light.rig', 'Rig')}
            {choice('light.side', 'Key side')}
            {slider('light.softness', 'Softness', 0, 1, 0.05)}
            {number('light.fillRatio', 'Key : fill')}
            {slider('light.colorTemperature', 'Temperature', 1500, 12000, 100, ' K')}
            {choice('light.background', 'Background')}
            <h3 className="group">Camera</h3>
            {vocab('camera.shot', 'Shot', 'Headshot (default)')}
            {vocab('camera.angle', 'Angle', 'Eye level (default)')}
            {number('camera.focalLength', 'Focal length (mm)')}
            {number('camera.aperture', 'Aperture (f/)')}
            {vocab('camera.film', 'Film')}
            {text('camera.aspectRatio', 'Aspect ratio', false, '4:5')}
            <h3 className="group">Atmosphere</h3>
            {slider('atmosphere.haze', 'Haze', 0, 1, 0.05)}
            {choice('atmosphere.timeOfDay', 'Time of day')}
          </>
        )}
        {pillar === 'aesthetic' && (
          <>
            {vocab('aesthetic.palette', 'Palette')}
            {vocab('aesthetic.grade', 'Grade')}
            {vocab('aesthetic.composition', 'Composition', 'Rule of thirds (default)')}
            {vocab('aesthetic.texture', 'Texture')}
            {text('aesthetic.mood', 'Mood')}
          </>
        )}
        {pillar === 'authenticity' && (
          <>
            <Field
              label="Imperfections"
              path="authenticity.imperfections"
              issue={issueAt('authenticity.imperfections')}
            >
              <VocabChips
                entries={vocabulary.fields['authenticity.imperfections'] ?? []}
                value={(getAt(brief, 'authenticity.imperfections') as string[] | undefined) ?? []}
                onChange={(ids) =>
                  set('authenticity.imperfections', ids.length === 0 ? undefined : ids)
                }
              />
            </Field>
            {choice('authenticity.retouch', 'Retouch')}
            {text('authenticity.notes', 'Notes', true)}
          </>
        )}
        {pillar === 'references' && (
          <>
            {references.length === 0 && (
              <p className="hint">
                No references yet. Upload a photo in the middle and add it with its role.
              </p>
            )}
            {references.map((ref, i) => (
              <div className="reference-row" key={`${String(ref['image'])}-${i}`}>
                <span className="reference-image" title={String(ref['image'])}>
                  {String(ref['image']).slice(0, 10)}…
                </span>
                <EnumSelect
                  values={roles}
                  value={String(ref['role'])}
                  onChange={(role) =>
                    set(
                      'references',
                      references.map((r, j) => (j === i ? { ...r, role } : r)),
                    )
                  }
                />
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    set(
                      'references',
                      references.filter((_, j) => j !== i),
                    )
                  }
                >
                  remove
                </button>
                {issueAt(`references[${i}].role`) !== undefined && (
                  <div className="field-issue">{issueAt(`references[${i}].role`)}</div>
                )}
              </div>
            ))}
          </>
        )}
      </div>
    </div>
  );
}

/** Reference roles of the brief (identity, pose, expression, lighting, palette, style). */
export const roles = ['identity', 'pose', 'expression', 'lighting', 'palette', 'style'];
