// Uploads for the Files tab: the circuit cannot carry gigabytes, so the browser PUTs the file to
// /ui/files/{node}/content in 8 MiB chunks. Each chunk's answer is the file's size so far; after a
// failure the upload resumes from that acknowledged offset instead of starting over.
const chunkBytes = 8 * 1024 * 1024;
const retries = 3;

export function attach(zone, input, dotnet, base, token) {
  const state = { directory: "/", busy: false, queue: [] };

  const start = files => {
    for (const file of files) state.queue.push(file);
    if (!state.busy) next();
  };

  const next = async () => {
    const file = state.queue.shift();
    if (!file) { state.busy = false; return; }
    state.busy = true;
    const target = (state.directory.endsWith("/") ? state.directory : state.directory + "/") + file.name;
    try {
      await upload(file, target, base, token, (sent, rate) => dotnet.invokeMethodAsync("OnUploadProgress", file.name, sent, file.size, rate));
      await dotnet.invokeMethodAsync("OnUploadDone", file.name, target, file.size, null);
    } catch (error) {
      await dotnet.invokeMethodAsync("OnUploadDone", file.name, target, file.size, String(error.message || error));
    }
    next();
  };

  const onChange = () => { start(Array.from(input.files)); input.value = ""; };
  const onOver = e => { e.preventDefault(); zone.classList.add("sx-files-drop-over"); };
  const onLeave = () => zone.classList.remove("sx-files-drop-over");
  const onDrop = e => { e.preventDefault(); onLeave(); start(Array.from(e.dataTransfer.files)); };
  input.addEventListener("change", onChange);
  zone.addEventListener("dragover", onOver);
  zone.addEventListener("dragleave", onLeave);
  zone.addEventListener("drop", onDrop);

  return {
    setDirectory: directory => { state.directory = directory; },
    dispose: () => {
      input.removeEventListener("change", onChange);
      zone.removeEventListener("dragover", onOver);
      zone.removeEventListener("dragleave", onLeave);
      zone.removeEventListener("drop", onDrop);
    },
  };
}

async function upload(file, path, base, token, progress) {
  const started = performance.now();
  let acknowledged = 0;
  let failures = 0;
  do {
    const end = Math.min(file.size, acknowledged + chunkBytes);
    try {
      acknowledged = await putChunk(base, path, acknowledged, file.slice(acknowledged, end), token, loaded => {
        const sent = acknowledged + loaded;
        progress(sent, sent / Math.max(0.001, (performance.now() - started) / 1000));
      });
      failures = 0;
    } catch (error) {
      // A refusal (4xx) will not change on retry; a dropped connection or a 5xx might.
      if (error.status >= 400 && error.status < 500 || ++failures > retries) throw error;
      await new Promise(r => setTimeout(r, 1000 * failures));
    }
  } while (acknowledged < file.size);
}

function putChunk(base, path, offset, body, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `${base}/content?path=${encodeURIComponent(path)}&offset=${offset}`);
    xhr.setRequestHeader("RequestVerificationToken", token);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = e => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status === 200) {
        resolve(JSON.parse(xhr.responseText).size);
        return;
      }
      let detail = `HTTP ${xhr.status}`;
      try { detail = JSON.parse(xhr.responseText).detail || detail; } catch { /* not a problem document */ }
      const error = new Error(detail);
      error.status = xhr.status;
      reject(error);
    };
    xhr.onerror = () => reject(new Error("network error"));
    xhr.send(body);
  });
}
