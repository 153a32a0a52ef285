// Prepended to each chart component's module (`plotly_chart.js`, `early_view.js`): one reading
// of plotly's {dtype, bdata} arrays for both.

const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array, i1: Int8Array,
               u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};

function decode(value, wrap = (typed) => typed) {  // plotly's {dtype, bdata} arrays, each through `wrap`
  if (Array.isArray(value)) return value.map((v) => decode(v, wrap));
  if (value && typeof value === "object") {
    if (typeof value.bdata === "string" && TYPED[value.dtype] && !value.shape) {
      const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
      return wrap(new TYPED[value.dtype](bytes.buffer));
    }
    for (const k of Object.keys(value)) value[k] = decode(value[k], wrap);
  }
  return value;
}
