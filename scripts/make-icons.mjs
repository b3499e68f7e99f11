#!/usr/bin/env node
// Draws the tray and app icons with ImageMagick `convert` into resources/icons/ (the PNGs are committed; re-run
// after changing the design: `node scripts/make-icons.mjs`). Each tray state has a light variant (dark glyph, for
// light menu bars) and a dark variant (light glyph, for dark menu bars) at 16 px (name.png), 32 px (name@2x.png,
// picked automatically by Electron on HiDPI) and 24 px (name-24.png, the usual Linux panel size). Shapes are drawn
// at 8x and downscaled so the small sizes are anti-aliased.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icons')
mkdirSync(outDir, { recursive: true })

/** State → badge colour and badge mark. Must match TRAY_ICON_STATES in src/main/tray/trayModel.ts. */
const STATES = {
  idle: { badge: null },
  listening: { badge: '#2fbf71', mark: 'dot' },
  thinking: { badge: '#f0a202', mark: 'dots' },
  speaking: { badge: '#3b82f6', mark: 'wave' },
  offline: { badge: '#8a8f98', mark: 'slash' },
  error: { badge: '#e5484d', mark: 'bang' }
}
const VARIANTS = { light: '#1f2328', dark: '#f2f4f8' }
const SIZES = [
  [16, ''],
  [24, '-24'],
  [32, '@2x']
]
const S = 128 // drawing canvas

function glyph(fg, dimmed) {
  const color = dimmed ? `${fg}99` : fg
  // Microphone: capsule, cradle arc, stem, base.
  return [
    '-fill', color, '-stroke', 'none', '-draw', 'roundrectangle 44,10 84,78 20,20',
    '-fill', 'none', '-stroke', color, '-strokewidth', '10',
    '-draw', 'arc 26,34 102,104 0,180',
    '-draw', 'line 64,104 64,120',
    '-draw', 'line 44,121 84,121'
  ]
}

function badge(state) {
  const { badge: color, mark } = STATES[state]
  if (!color) return []
  const cx = 98
  const cy = 98
  const r = 30
  const ops = ['-stroke', 'none', '-fill', color, '-draw', `circle ${cx},${cy} ${cx + r},${cy}`]
  const white = ['-fill', '#ffffff', '-stroke', '#ffffff']
  if (mark === 'dot') ops.push(...white, '-draw', `circle ${cx},${cy} ${cx + 11},${cy}`)
  if (mark === 'dots') for (const dx of [-14, 0, 14]) ops.push(...white, '-draw', `circle ${cx + dx},${cy} ${cx + dx + 5},${cy}`)
  if (mark === 'wave') ops.push('-fill', 'none', '-stroke', '#ffffff', '-strokewidth', '6', '-draw', `line ${cx - 12},${cy - 6} ${cx - 12},${cy + 6}`, '-draw', `line ${cx},${cy - 14} ${cx},${cy + 14}`, '-draw', `line ${cx + 12},${cy - 8} ${cx + 12},${cy + 8}`)
  if (mark === 'slash') ops.push('-fill', 'none', '-stroke', '#ffffff', '-strokewidth', '8', '-draw', `line ${cx - 14},${cy + 14} ${cx + 14},${cy - 14}`)
  if (mark === 'bang') ops.push('-fill', '#ffffff', '-stroke', 'none', '-draw', `roundrectangle ${cx - 5},${cy - 19} ${cx + 5},${cy + 5} 4,4`, '-draw', `circle ${cx},${cy + 14} ${cx + 5},${cy + 14}`)
  return ops
}

function draw(args, file, size) {
  execFileSync('convert', ['-size', `${S}x${S}`, 'xc:none', ...args, '-resize', `${size}x${size}`, '-strip', '-define', 'png:exclude-chunks=date,time', `PNG32:${file}`])
}

const written = []
for (const state of Object.keys(STATES)) {
  for (const [variant, fg] of Object.entries(VARIANTS)) {
    for (const [size, suffix] of SIZES) {
      const file = join(outDir, `tray-${state}-${variant}${suffix}.png`)
      draw([...glyph(fg, state === 'offline'), ...badge(state)], file, size)
      written.push(file)
    }
  }
}

// App icon (installers, window, dock): white microphone on the accent colour, 512 px (electron-builder makes the
// .ico/.icns from it) and 256 px.
for (const size of [512, 256]) {
  const file = join(outDir, `app-${size}.png`)
  execFileSync('convert', [
    '-size', '1024x1024', 'xc:none',
    '-fill', '#5b6cff', '-draw', 'roundrectangle 64,64 960,960 200,200',
    '-fill', '#ffffff', '-draw', 'roundrectangle 412,200 612,600 100,100',
    '-fill', 'none', '-stroke', '#ffffff', '-strokewidth', '48',
    '-draw', 'arc 312,330 712,730 0,180',
    '-draw', 'line 512,730 512,820', '-draw', 'line 400,824 624,824',
    '-resize', `${size}x${size}`, '-strip', '-define', 'png:exclude-chunks=date,time', `PNG32:${file}`
  ])
  written.push(file)
}
console.log(`wrote ${written.length} icons to ${outDir}`)
