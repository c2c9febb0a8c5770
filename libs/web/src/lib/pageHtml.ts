/** The page (`index.html`): markup and style only; the behaviour is the bundled script. */
export const pageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self' blob: data:; worker-src 'self' blob:">
<link rel="icon" href="data:,">
<title>medseg: tumour segmentation in your browser</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #111; color: #ddd; }
  header, main { padding: 12px 20px; }
  header { background: #1c1c1c; border-bottom: 1px solid #333; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  #drop { border: 2px dashed #555; border-radius: 8px; padding: 18px; text-align: center; margin: 10px 0; }
  #drop.over { border-color: #fc0; }
  #error { color: #ff6b6b; white-space: pre-wrap; }
  #error:empty, #result[hidden] { display: none; }
  .row { display: flex; gap: 20px; align-items: flex-start; flex-wrap: wrap; }
  canvas { image-rendering: pixelated; background: #000; width: 512px; max-width: 90vw; }
  label { display: block; margin: 6px 0; }
  input[type=range] { width: 220px; vertical-align: middle; }
  progress { width: 320px; }
  .muted { color: #999; }
  a.button { display: inline-block; margin: 6px 8px 0 0; padding: 6px 12px; background: #2d5d8a; color: #fff; border-radius: 4px; text-decoration: none; }
  #volume { font-size: 20px; color: #fc0; }
</style>
</head>
<body>
<header>
  <h1>medseg: tumour segmentation in your browser</h1>
  <div id="model" class="muted">loading the model…</div>
  <div class="muted">Nothing leaves this machine: the files are read and segmented in this page.</div>
</header>
<main>
  <div id="drop">
    Drop a folder of DICOM files (or a multi-frame DICOM file, or a NIfTI) here, or pick:
    <label>DICOM folder <input id="folder" type="file" webkitdirectory multiple disabled></label>
    <label>file(s) <input id="files" type="file" multiple disabled></label>
  </div>
  <div><span id="status" class="muted"></span> <progress id="progress" value="0" max="1" hidden></progress></div>
  <div id="error" role="alert"></div>
  <section id="result" hidden>
    <p id="series"></p>
    <p>Tumour volume: <span id="volume"></span></p>
    <div class="row">
      <canvas id="view"></canvas>
      <div>
        <label>slice <input id="slice" type="range" min="0" value="0"> <span id="sliceText"></span></label>
        <label>window level <input id="level" type="range"> <span id="levelText"></span></label>
        <label>window width <input id="width" type="range"> <span id="widthText"></span></label>
        <label>overlay opacity <input id="opacity" type="range" min="0" max="100" value="35"></label>
        <a id="downloadSeg" class="button" download>Download DICOM SEG</a>
        <a id="downloadNifti" class="button" download>Download NIfTI</a>
        <p id="timing" class="muted"></p>
      </div>
    </div>
  </section>
</main>
<script type="module" src="medseg-web.js"></script>
</body>
</html>
`;
