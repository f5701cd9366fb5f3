// A script (no import or export), so that this declares every `.vue` import rather than augments.
declare module '*.vue' {
  const component: import('vue').Component;
  export default component;
}
