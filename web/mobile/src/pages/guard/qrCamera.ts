/** The gate's QR camera: the phone's rear camera in a <video>, a frame read every quarter second, the first code
 * handed back once and the camera switched off.
 *
 * The reader is the browser's own `BarcodeDetector` where it reads QR codes (Chrome on Android with Google Play
 * services), else the same API over zxing-cpp compiled to WebAssembly (`barcode-detector`'s ponyfill; the .wasm
 * is bundled and precached by the app, never fetched from a CDN, so a gate scans offline). zxing-cpp replaced
 * @zxing/browser: the JavaScript port misread about one pass QR in thirty (a dense version-15 code whose data
 * imitates a finder pattern) on every frame, sharp or soft, where zxing-cpp read all thirty on the first frame
 * (measured in Chromium's fake camera; the QR test decodes with zxing-cpp too). Many Chinese phones have no
 * Google Play services, so the native detector reports no formats there and the ponyfill reads. */

export interface QrCamera {
  stop(): void;
}

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}

interface NativeDetectorClass {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
}

// A frame every 250 ms: fast enough that a visitor holding up the phone is read at once, slow enough for an old
// phone's CPU. A few failed reads in a row are tolerated (a frame before the video had a size); more end the scan.
const INTERVAL_MS = 250;
const FAILURES_TOLERATED = 8;

let cached: Promise<Detector> | null = null;

function detector(): Promise<Detector> {
  cached ??= makeDetector().catch((error: unknown) => {
    cached = null; // a failed load (offline before the reader was ever cached) is tried again next time
    throw error;
  });
  return cached;
}

async function makeDetector(): Promise<Detector> {
  const native = (globalThis as { BarcodeDetector?: NativeDetectorClass }).BarcodeDetector;
  if (native && (await native.getSupportedFormats()).includes("qr_code")) return new native({ formats: ["qr_code"] });
  const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
    import("barcode-detector/ponyfill"),
    import("zxing-wasm/reader/zxing_reader.wasm?url"),
  ]);
  prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
  });
  return new BarcodeDetector({ formats: ["qr_code"] });
}

/** Starts the rear camera in `video` and reads until a QR code is seen (`onCode`, once) or the scan fails
 * (`onError`: no camera, permission refused, the reader failing). The returned handle stops it; stopping twice is
 * harmless. */
export async function openQrCamera(
  video: HTMLVideoElement,
  onCode: (text: string) => void,
  onError: (error: unknown) => void,
): Promise<QrCamera> {
  const reader = await detector();
  const stream = await navigator.mediaDevices.getUserMedia({
    // A phone's camera gives 640x480 unless asked for more: a pass QR's modules need the pixels.
    video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const read = async (): Promise<void> => {
    if (stopped) return;
    try {
      // HAVE_CURRENT_DATA: a frame with a size exists (reading before it fails).
      if (video.readyState >= 2 && video.videoWidth > 0) {
        const [found] = await reader.detect(video);
        failures = 0;
        if (found && !stopped) {
          stop();
          onCode(found.rawValue);
          return;
        }
      }
    } catch (error) {
      failures += 1;
      if (failures > FAILURES_TOLERATED) {
        stop();
        onError(error);
        return;
      }
    }
    if (!stopped) timer = setTimeout(() => void read(), INTERVAL_MS);
  };
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    stop();
    throw error;
  }
  void read();
  return { stop };
}
