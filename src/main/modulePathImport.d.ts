/** electron-vite: `import path from './file?modulePath'` bundles file as its own entry and yields its path. */
declare module '*?modulePath' {
  const path: string
  export default path
}
