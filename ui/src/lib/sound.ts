// The alert sound: a short two-tone beep made with WebAudio (no sound file), its audio context
// made on first use only, so a bench with the sound off never opens one.
let context: AudioContext | null = null;

/** Plays a 0.3 s beep; does nothing where WebAudio is missing. */
export function beep(): void {
  const Ctx = typeof window === "undefined" ? undefined : window.AudioContext;
  if (!Ctx) return;
  context ??= new Ctx();
  const at = context.currentTime;
  const gain = context.createGain();
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
  gain.connect(context.destination);
  for (const [freq, start] of [[880, 0], [1175, 0.15]] as const) {
    const osc = context.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(at + start);
    osc.stop(at + start + 0.15);
  }
}
