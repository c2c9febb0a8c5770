// One fuzz input, run in its own process by campaign.mjs: read it with one libs/data reader, write a small
// summary into the output folder under a name derived from the data, and print one JSON line: the outcome.
// Handled outcomes exit 0; anything else (a crash, a kill) is for the parent to see.
import * as data from '@medseg/data';

const job = JSON.parse(process.argv[2]);
data.setResourceLimits({ maxVoxels: job.maxVoxels, maxInflatedBytes: job.maxVoxels * 4 });

async function summarise() {
  switch (job.reader) {
    case 'dicom': {
      const file = await data.readDicomFile(job.input);
      return [{ name: data.getString(file.dataset.raw, data.Tag.PatientId) ?? 'dicom', summary: { frames: file.frames.length } }];
    }
    case 'rtstruct': {
      const rt = await data.readRtStruct(job.input);
      return rt.rois.map((roi) => ({ name: roi.name, summary: { contours: roi.contours.length } }));
    }
    case 'seg': {
      const seg = await data.readDicomSeg(job.input);
      return seg.segments.map((s) => ({ name: s.label, summary: { frames: seg.frames.length } }));
    }
    case 'nifti': {
      const volume = await data.readNifti(job.input);
      return [{ name: 'nifti', summary: { shape: volume.shape } }];
    }
    case 'png': {
      const labels = await data.readPngMasks(job.input, job.shape);
      return [{ name: 'png', summary: { voxels: labels.length } }];
    }
    case 'manifest': {
      // As predict and eval do: every case read, and one output per case ID.
      const manifest = await data.readDatasetManifest(job.input);
      const out = [];
      for (const entry of manifest.cases) {
        const { image } = await data.readDatasetCase(job.input, entry);
        out.push({ id: entry.id, summary: { shape: image.shape } });
      }
      return out;
    }
    default:
      throw new Error(`unknown reader ${job.reader}`);
  }
}

function report(result) {
  process.stdout.write(`${JSON.stringify({ ...result, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

try {
  const items = await summarise();
  for (const item of items) {
    // Case IDs must already be safe (the manifest reader checks them); names from data are made safe here.
    const path = item.id !== undefined ? data.safeJoin(job.out, `${item.id}.json`) : data.safeJoin(job.out, `${data.safeName(String(item.name))}.json`);
    await data.writeFileAtomic(path, JSON.stringify(item.summary));
  }
  report({ outcome: 'ok' });
} catch (error) {
  if (error instanceof data.MedsegError) report({ outcome: 'typed', error: error.name, message: error.message });
  else report({ outcome: 'untyped', error: error?.name ?? typeof error, message: String(error?.message ?? error) });
}
